// lpda-emulator: serves a deterministic, fault-injectable copy of LivePerson's Data Access API
// on loopback for tests, benchmarks and the demo. See tests/emulator/README.md.
#include "lpda/emulator/server.hpp"
#include "lpda/emulator/time_format.hpp"

#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <tuple>
#include <utility>

namespace emu = lpda::emulator;

namespace {

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ','))
    if (!item.empty()) out.push_back(item);
  return out;
}

// "MIN-MAX" of non-negative decimal numbers in `unit_ms` (e.g. hours), as ms; throws naming the
// option otherwise.
std::pair<std::int64_t, std::int64_t> parse_range(const std::string& option,
                                                  const std::string& text, double unit_ms) {
  const auto dash = text.find('-');
  auto number = [&](const std::string& part) {
    std::size_t used = 0;
    double v = -1;
    try {
      v = std::stod(part, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (part.empty() || used != part.size() || !(v >= 0))
      throw std::invalid_argument(option + ": expected MIN-MAX (e.g. 5-9), got '" + text + "'");
    return static_cast<std::int64_t>(v * unit_ms + 0.5);
  };
  if (dash == std::string::npos)
    throw std::invalid_argument(option + ": expected MIN-MAX (e.g. 5-9), got '" + text + "'");
  const auto lo = number(text.substr(0, dash));
  const auto hi = number(text.substr(dash + 1));
  if (lo <= 0 || hi < lo)
    throw std::invalid_argument(option + ": expected 0 < MIN <= MAX, got '" + text + "'");
  return {lo, hi};
}

void write_expected(const emu::server& srv, const std::string& path, const std::string& format,
                    const std::string& which) {
  const std::string body = srv.expected(format, which);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(body.data(), static_cast<std::streamsize>(body.size()));
  if (!out) throw std::runtime_error("cannot write the expected set to " + path);
}

}  // namespace

int main(int argc, char** argv) {
  emu::server_options o;
  CLI::App app{
      "lpda-emulator: a local LivePerson Data Access API (Agent Activity) with OAuth 1.0a "
      "verification, deterministic hourly files, variants and fault injection.\n"
      "Prints its base URL as the first stdout line when ready. Control API: /_control/... "
      "(loopback only; see tests/emulator/README.md)."};
  app.get_formatter()->column_width(34);

  app.add_option("--address", o.address, "Listen address")->capture_default_str();
  app.add_option("--port", o.port, "Listen port; 0 picks a free one")->capture_default_str();
  app.add_option("--tls-cert", o.tls_cert_file, "TLS certificate chain (PEM); serves HTTPS");
  app.add_option("--tls-key", o.tls_key_file, "TLS private key (PEM), with --tls-cert");
  app.add_flag("--tls-self-signed", o.tls_self_signed,
               "Serve HTTPS with a P-256 certificate for localhost/127.0.0.1 generated at start");
  app.add_option("--tls-cert-out", o.tls_cert_out,
                 "Write the self-signed certificate (PEM) here, for clients to trust");
  app.add_option("--href-base", o.href_base,
                 "scheme://host[:port] used in listing hrefs (default: the server's own URL)");

  app.add_option("--consumer-key", o.oauth1.consumer_key, "OAuth 1.0a consumer (app) key")
      ->capture_default_str();
  app.add_option("--consumer-secret", o.oauth1.consumer_secret, "OAuth 1.0a consumer secret")
      ->capture_default_str();
  app.add_option("--token", o.oauth1.token, "OAuth 1.0a access token")->capture_default_str();
  app.add_option("--token-secret", o.oauth1.token_secret, "OAuth 1.0a access token secret")
      ->capture_default_str();
  bool no_oauth2 = false;
  app.add_flag("--no-oauth2", no_oauth2, "Disable POST /oauth2/token and Bearer tokens");
  app.add_option("--oauth2-client-id", o.oauth2_client_id, "OAuth 2.0 client id")
      ->capture_default_str();
  app.add_option("--oauth2-client-secret", o.oauth2_client_secret, "OAuth 2.0 client secret")
      ->capture_default_str();
  app.add_option("--oauth2-ttl", o.oauth2_ttl_s, "expires_in of issued bearer tokens (s)")
      ->capture_default_str();
  std::string da_auth = "both";
  app.add_option("--data-access-auth", da_auth,
                 "Credentials the Data Access endpoints accept: oauth1, bearer, both")
      ->capture_default_str();
  app.add_option("--csds-sentinel-host", o.csds_sentinel_host,
                 "baseURI the Domain API answers for service sentinel (default: this server's "
                 "host:port)");

  std::string accounts = "12345678";
  std::string from;
  std::string now;
  app.add_option("--seed", o.data.seed, "Seed of all generated data")->capture_default_str();
  app.add_option("--accounts", accounts, "Comma-separated account ids")->capture_default_str();
  auto* agents_opt =
      app.add_option("--agents", o.data.agents, "Agents per account")->capture_default_str();
  app.add_option("--from", from,
                 "First scope hour: epoch ms or YYYY-MM-DDTHH:MM[:SS]Z (default: now - hours)");
  app.add_option("--hours", o.data.hours, "Number of scope hours")->capture_default_str();
  auto* max_parts_opt =
      app.add_option("--max-parts", o.data.max_parts, "Each hour has 1..N part files")
          ->capture_default_str();
  std::string session_hours;
  std::string event_gap_s;
  std::string publish_delay;
  std::string preset;
  auto* session_opt = app.add_option(
      "--session-hours", session_hours,
      "Sessions last MIN-MAX hours (e.g. 5-9; default: 0.25-4.75 in 6-hour blocks); each is "
      "published in the file of its logout hour");
  app.add_option("--publish-delay-min", publish_delay,
                 "Minutes from a file's scope end to its creation, MIN-MAX (default 5-25)");
  auto* gap_opt =
      app.add_option("--event-gap-s", event_gap_s,
                     "Seconds between a session's event ticks, MIN-MAX (default 20-540)");
  app.add_option("--preset", preset,
                 "large-account: dense files (200 agents, 5-9 h sessions, an event tick every "
                 "10-150 s, 1 part per hour: ~4,000 events per file reaching ~9 h back); "
                 "--agents, --session-hours, --event-gap-s and --max-parts given explicitly win");
  bool pregenerate = false;
  app.add_flag("--pregenerate", pregenerate,
               "Render every file that exists at start into memory before printing the URL, so "
               "downloads cost no generation");
  app.add_option("--now", now,
                 "Fixed 'now' (epoch ms or ISO UTC); files exist once created <= now (default: "
                 "the system clock)");
  app.add_option("--late-percent", o.data.late_percent,
                 "Share of files created hours after their scope (0-100)")
      ->capture_default_str();
  app.add_option("--late-min-hours", o.data.late_min_hours, "Late files: minimum delay (h)")
      ->capture_default_str();
  app.add_option("--late-max-hours", o.data.late_max_hours, "Late files: maximum delay (h)")
      ->capture_default_str();

  auto& v = o.variant;
  std::string empty = "404";
  std::string casing = "example";
  app.add_flag("--single-file-as-object", v.single_file_as_object,
               "A one-file listing has \"file\": {...} instead of an array");
  app.add_option("--empty", empty,
                 "Empty listing: 404 (XML 'No Available Files'), array ([]), missing (no key)")
      ->capture_default_str();
  app.add_flag("--href-without-gz", v.href_without_gz, "Hrefs without the .gz suffix");
  app.add_flag("--plain-body", v.plain_body, "Serve files as plain NDJSON (no gzip)");
  app.add_flag("--multi-member", v.multi_member, "Split each gzip file into several members");
  app.add_option("--zero-padding", v.zero_padding, "Zero bytes after the last gzip member")
      ->capture_default_str();
  app.add_flag("--content-encoding-gzip", v.content_encoding_gzip,
               "Add a Content-Encoding: gzip transport layer over the gzip file");
  app.add_flag("--docs-framing", v.docs_framing,
               "Pretty-printed, unwrapped, duplicated documents (the docs' example framing)");
  app.add_option("--casing", casing, "Name fields: example, table (agentUserName...), alternate")
      ->capture_default_str();
  app.add_option("--retention-days", v.retention_days,
                 "Files vanish this many days after creation (0 = never)")
      ->capture_default_str();
  app.add_flag("--filter-on-scope", v.filter_on_scope,
               "Listings filter on scope start instead of creation time");
  app.add_flag("--no-date", v.no_date, "Answers carry no Date header");
  app.add_flag("--employee-id-as-long", v.employee_id_as_long,
               "agentEmployeeId as {\"long\": n} (null when absent) instead of a string");
  app.add_flag("--extra-fields", v.extra_fields,
               "Add userProfileIDs and an unknown field to every event");

  std::string fault_kind = "none";
  std::string fault_target = "any";
  auto& f = o.fault;
  app.add_option("--fault", fault_kind, "none, 429, 500, 503, reset, truncated-gzip, stall, drip")
      ->capture_default_str();
  app.add_option("--fault-target", fault_target, "any, listing, download")->capture_default_str();
  app.add_option("--fault-first", f.first_n, "Hit the first N eligible requests")
      ->capture_default_str();
  app.add_option("--fault-every", f.every_nth, "Hit every Nth eligible request")
      ->capture_default_str();
  app.add_option("--retry-after", f.retry_after_s, "429: Retry-After seconds")
      ->capture_default_str();
  app.add_flag("--retry-after-date", f.retry_after_http_date, "429: Retry-After as an HTTP-date");
  app.add_option("--stall-ms", f.stall_ms, "stall: silence after half the body (ms)")
      ->capture_default_str();
  app.add_option("--drip-bytes", f.drip_bytes, "drip: bytes per write")->capture_default_str();
  app.add_option("--drip-ms", f.drip_interval_ms, "drip: pause between writes (ms)")
      ->capture_default_str();
  app.add_option("--latency-ms", o.latency_ms, "Delay before every Data Access response (ms)")
      ->capture_default_str();
  app.add_option("--failing-file", o.failing_file,
                 "File name whose downloads answer 500 until cleared via /_control/fail-file");
  std::string malformed_kind = "no-href";
  app.add_option("--malformed-entry", o.malformed_entry,
                 "File name whose listing entry is malformed (see --malformed-entry-kind) until "
                 "cleared via /_control/malformed-entry");
  app.add_option("--malformed-entry-kind", malformed_kind,
                 "no-href, bad-name, scope-mismatch or not-object")
      ->capture_default_str();

  std::string expected_out;
  std::string expected_format = "ndjson";
  std::string expected_files = "available";
  app.add_option("--expected-out", expected_out,
                 "Write the expected event set here at start and again at exit");
  app.add_option("--expected-format", expected_format, "ndjson or csv")->capture_default_str();
  app.add_option("--expected-files", expected_files,
                 "Files in the set written at exit: available, served, all")
      ->capture_default_str();

  CLI11_PARSE(app, argc, argv);

  try {
    o.oauth2 = !no_oauth2;
    const auto mode = emu::parse_data_access_auth(da_auth);
    if (!mode) throw std::invalid_argument("--data-access-auth: expected oauth1, bearer or both");
    o.da_auth = *mode;
    o.data.accounts = split_list(accounts);
    if (!preset.empty()) {
      emu::generator_config p = o.data;
      if (auto err = emu::apply_preset(preset, p)) throw std::invalid_argument("--preset: " + *err);
      if (agents_opt->count() == 0) o.data.agents = p.agents;
      if (max_parts_opt->count() == 0) o.data.max_parts = p.max_parts;
      if (session_opt->count() == 0) {
        o.data.session_min_ms = p.session_min_ms;
        o.data.session_max_ms = p.session_max_ms;
      }
      if (gap_opt->count() == 0) {
        o.data.event_gap_min_ms = p.event_gap_min_ms;
        o.data.event_gap_max_ms = p.event_gap_max_ms;
      }
    }
    if (!session_hours.empty())
      std::tie(o.data.session_min_ms, o.data.session_max_ms) =
          parse_range("--session-hours", session_hours, static_cast<double>(emu::hour_ms));
    if (!event_gap_s.empty())
      std::tie(o.data.event_gap_min_ms, o.data.event_gap_max_ms) =
          parse_range("--event-gap-s", event_gap_s, 1000.0);
    if (!publish_delay.empty())
      std::tie(o.data.publish_delay_min_ms, o.data.publish_delay_max_ms) =
          parse_range("--publish-delay-min", publish_delay, 60'000.0);
    if (!now.empty()) {
      o.now_ms = emu::parse_time_arg(now);
      if (!o.now_ms) throw std::invalid_argument("--now: expected epoch ms or ISO UTC: " + now);
    }
    const std::int64_t start_now = o.now_ms
                                       ? *o.now_ms
                                       : std::chrono::duration_cast<std::chrono::milliseconds>(
                                             std::chrono::system_clock::now().time_since_epoch())
                                             .count();
    if (!from.empty()) {
      const auto t = emu::parse_time_arg(from);
      if (!t) throw std::invalid_argument("--from: expected epoch ms or ISO UTC: " + from);
      o.data.from_ms = *t;
    } else {
      o.data.from_ms =
          (start_now / emu::hour_ms) * emu::hour_ms - std::int64_t{o.data.hours} * emu::hour_ms;
    }
    for (const auto& [name, value] :
         {std::pair<std::string, std::string>{"empty", empty}, {"casing", casing}})
      if (auto err = emu::set_variant(o.variant, name, value)) throw std::invalid_argument(*err);
    if (auto err = emu::set_fault(o.fault, "kind", fault_kind)) throw std::invalid_argument(*err);
    if (auto err = emu::set_fault(o.fault, "target", fault_target))
      throw std::invalid_argument(*err);
    const auto kind = emu::parse_entry_fault(malformed_kind);
    if (!kind || *kind == emu::entry_fault::none)
      throw std::invalid_argument(
          "--malformed-entry-kind: no-href, bad-name, scope-mismatch or not-object");
    o.malformed_entry_kind = *kind;
    if (o.malformed_entry.size() > 3 &&
        o.malformed_entry.compare(o.malformed_entry.size() - 3, 3, ".gz") == 0)
      o.malformed_entry.resize(o.malformed_entry.size() - 3);
    if (expected_format != "ndjson" && expected_format != "csv")
      throw std::invalid_argument("--expected-format: ndjson or csv");
    o.handle_signals = true;

    emu::server srv(o);
    srv.start();
    if (pregenerate) {
      const auto p = srv.pregenerate();
      std::cerr << "lpda-emulator: pregenerated " << p.files << " file(s), " << p.bytes
                << " bytes, in " << p.seconds << " s\n";
    }
    if (!expected_out.empty()) write_expected(srv, expected_out, expected_format, "available");
    std::cout << srv.base_url() << std::endl;
    std::cerr << "lpda-emulator: serving " << o.data.accounts.size() << " account(s), "
              << o.data.hours << " hour(s) from " << emu::format_utc(o.data.from_ms) << " at "
              << srv.base_url() << "\n";
    srv.run();
    if (!expected_out.empty()) write_expected(srv, expected_out, expected_format, expected_files);
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "lpda-emulator: " << e.what() << "\n";
    return 2;
  }
}
