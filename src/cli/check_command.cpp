// `lpda-sync check`: proves, step by step, that an account's credentials and the Data Access API
// work, in lines a user can paste into a support ticket. It never opens the database.
#include "commands.hpp"
#include "compose.hpp"
#include "logging.hpp"
#include "lpda/api/data_access_client.hpp"
#include "lpda/cli/exit_codes.hpp"
#include "lpda/config/config.hpp"
#include "lpda/config/units.hpp"
#include "lpda/core/error_kind.hpp"
#include "lpda/core/text.hpp"
#include "lpda/http/auth.hpp"
#include "lpda/http/client.hpp"
#include "lpda/http/server_time.hpp"
#include "lpda/http/status.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <ostream>
#include <sstream>
#include <variant>

namespace lpda::cli {
namespace {

namespace asio = boost::asio;

// Credentials refused need a person (78); an API that cannot be reached from here — DNS,
// connect, TLS, timeout — may be a passing outage (75); anything else is 1. With several steps
// or accounts the worst is the answer (`worse_exit_code`: 78 > 1 > 75 > 0).
int exit_code_of(const error& e) {
  const auto* kind = traits_of(e.code);
  if (kind == nullptr) return exit_partial;
  if (kind->scope == failure_scope::account) return exit_config;
  return kind->unreachable ? exit_temp_fail : exit_partial;
}

// What one account's check found: verdict lines in order and the exit code.
struct account_check {
  std::ostringstream lines;
  int exit_code = exit_ok;
  bool failed = false;

  void line(std::string_view verdict, std::string_view step, const std::string& text) {
    lines << "  " << verdict;
    for (std::size_t i = verdict.size(); i < 5; ++i) lines << ' ';
    lines << ' ' << step;
    for (std::size_t i = step.size(); i < 9; ++i) lines << ' ';
    lines << ' ' << escape_text(text) << '\n';
  }
  void ok(std::string_view step, const std::string& text) { line("ok", step, text); }
  void warn(std::string_view step, const std::string& text) { line("warn", step, text); }
  void fail(std::string_view step, const error& e, const std::string& hint = {}) {
    line("FAIL", step, e.what() + (hint.empty() ? std::string() : " — " + hint));
    exit_code = worse_exit_code(exit_code, exit_code_of(e));
    failed = true;
  }
  void skip(std::string_view step, const std::string& why) { line("skip", step, why); }
};

// Everything one account's check uses; coroutine parameters are pointers to it (g++ 12 and
// coroutines: no references or capturing lambdas).
struct check_env {
  http::client* http = nullptr;
  const config::account* account = nullptr;
  http::auth_strategy* auth = nullptr;
  api::data_access_client* client = nullptr;
  int hours = 24;
  bool download_one = false;
  std::filesystem::path spool_dir;
  std::chrono::milliseconds skew_warning{};  // clock_skew_warning_of(config)
  unsigned last_status = 0;  // the status of the last response (the client's observer)
  account_check result;
};

std::string status_text(unsigned status) {
  return status == 0 ? std::string() : "HTTP " + std::to_string(status) + ", ";
}

std::string join_rels(const std::vector<api::data_type_link>& links) {
  std::string out;
  for (const auto& l : links) out += (out.empty() ? "" : ", ") + l.rel;
  return out.empty() ? std::string("no data types") : out;
}

asio::awaitable<void> check_account(check_env* env) {
  auto& r = env->result;
  const auto& a = *env->account;
  const bool oauth2 = std::holds_alternative<config::oauth2_credentials>(a.auth);
  const std::string base_url = config::effective_base_url(a);

  // 1. DNS, TCP and TLS, with no credentials: any HTTP answer proves the way there works.
  http::request probe;
  probe.url = base_url + "/";
  probe.follow_redirects = false;
  env->last_status = 0;
  auto connected = co_await env->http->send(probe, nullptr);
  if (!connected) {
    r.fail("connect", connected.error(),
           connected.error().code == make_error_code(errc::tls)
               ? "the certificate is not trusted (client.ca_file) or names another host"
               : "check region/domain/base_url, DNS and the network path to the host");
    r.skip("auth", "not tried: no connection");
    r.skip("base", "not tried: no connection");
    co_return;
  }
  r.ok("connect",
       base_url + " answered (" + status_text(connected->status) +
           (base_url.rfind("https://", 0) == 0 ? "TLS certificate verified" : "plain http") +
           ", no credentials sent)");

  // 2. A token (OAuth 2.0) or a signature (OAuth 1.0a).
  const std::string base_resource = env->client->base_resource_url();
  if (oauth2) {
    env->last_status = 0;
    auto header = co_await env->auth->authorization("GET", base_resource);
    const auto* o2 = static_cast<http::oauth2_client_credentials*>(env->auth);
    const auto source = http::describe_token_source(
        oauth2_settings_of(a, std::get<config::oauth2_credentials>(a.auth)));
    if (!header) {
      r.fail("token", header.error(),
             header.error().code == make_error_code(errc::auth_failed)
                 ? "the token service refused the client id and secret"
                 : "token URL: " + source);
      r.skip("base", "not tried: no token");
      co_return;
    }
    r.ok("token", "OAuth 2.0 token (" + status_text(env->last_status) + "expires in " +
                      std::to_string(o2->last_expires_in_s()) + " s) from " +
                      http::redact_url(o2->token_url()) + "; token URL: " + source);
  } else {
    r.ok("signing",
         "OAuth 1.0a HMAC-SHA1: requests are signed with the app key and access token "
         "(whether they are accepted is the next step)");
  }

  // 3. The base resource: are the credentials accepted, and which data types are enabled?
  env->last_status = 0;
  auto links = co_await env->client->base_resource();
  if (!links) {
    std::string hint;
    if (links.error().code == make_error_code(errc::auth_failed))
      hint = oauth2 ? "Data Access did not accept the OAuth 2.0 bearer token"
                    : "Data Access did not accept the OAuth 1.0a key (values, the \"Data Access "
                      "API\" read privilege, or a key past LivePerson's OAuth 1.0 end of life)";
    r.fail("base", links.error(), hint);
    co_return;
  }
  r.ok("base", status_text(env->last_status) + base_resource + " links " + join_rels(*links));

  // The host's clock against the server's (its Date header): listing windows follow the
  // server's, but OAuth 1.0a signatures carry the host's time.
  if (const auto skew = env->client->server_time().skew_ms()) {
    const std::string text = "the host's clock is " + http::describe_clock_skew(*skew) +
                             " the server's (its Date header)";
    if ((*skew < 0 ? -*skew : *skew) >= env->skew_warning.count())
      r.warn("clock", text + ", beyond client.clock_skew_warning (" +
                          config::format_duration(env->skew_warning) +
                          "): set the host's clock right (NTP)" +
                          (oauth2 ? std::string() : "; OAuth 1.0a signatures carry its time"));
    else
      r.ok("clock", text);
  } else {
    r.warn("clock", "the answers carry no usable Date header: the host's clock ends the windows");
  }

  // 4. Each configured data type's files of the last N hours.
  // The last N hours by the server's clock, as a poll would list them.
  const auto server_now = co_await env->client->server_now();
  const std::int64_t end_ms = server_now && *server_now ? **server_now : system_now_ms();
  const std::int64_t start_ms = end_ms - std::int64_t{env->hours} * 3'600'000;
  std::optional<data_file> sample;
  for (const auto& type : a.data_types) {
    const bool linked =
        std::any_of(links->begin(), links->end(),
                    [&type](const api::data_type_link& l) { return l.rel == type; });
    env->last_status = 0;
    auto listing = co_await env->client->list_files(type, start_ms, end_ms);
    if (!listing) {
      r.fail("list", listing.error(),
             linked ? std::string() : type + " is not among the base resource's links");
      continue;
    }
    const std::string span = "in the last " + std::to_string(env->hours) + " h";
    if (listing->files.empty()) {
      r.warn("list", type + ": no files " + span + " (" + status_text(env->last_status) +
                         (linked ? "the data type is linked; files appear hourly, hours late"
                                 : "not among the base resource's links: ask LivePerson to "
                                   "enable it") +
                         ")");
      continue;
    }
    r.ok("list", type + ": " + std::to_string(listing->files.size()) + " files " + span + " (" +
                     status_text(env->last_status) + "newest " + listing->files.back().key + ")" +
                     (listing->rejected.empty() ? std::string()
                                                : ", " + std::to_string(listing->rejected.size()) +
                                                      " malformed entries"));
    if (!sample) sample = listing->files.back();
  }

  // 5. One file, only when asked for.
  if (!env->download_one) {
    r.skip("download", "not asked for (--download-one fetches one file)");
    co_return;
  }
  if (!sample) {
    r.skip("download", "no file listed to fetch");
    co_return;
  }
  const auto spool = env->spool_dir / ("check-" + a.id + ".download");
  env->last_status = 0;
  auto got = co_await env->client->download(*sample, spool);
  if (!got) {
    r.fail("download", got.error());
    co_return;
  }
  r.ok("download", sample->key + ": " + std::to_string(got->bytes) + " bytes (" +
                       status_text(env->last_status) + std::string(decode::to_string(got->kind)) +
                       ")");
  std::error_code ec;
  std::filesystem::remove(spool, ec);
}

}  // namespace

int run_check(const check_options& opts, std::ostream& out, std::ostream& err) {
  config::config cfg;
  try {
    cfg = config::load_file(opts.config_path, config::process_environment(),
                            config::secrets::resolve_without_database);
  } catch (const config::config_error& e) {
    err << e.what() << '\n';
    return exit_config;
  }
  setup_logging(cfg.log);
  if (opts.hours < 1 || opts.hours > 24 * 30) {
    err << "lpda-sync check: --hours must be 1.." << 24 * 30
        << " (LivePerson keeps files 30 days)\n";
    return exit_usage;
  }
  std::vector<const config::account*> chosen;
  for (const auto& a : cfg.accounts)
    if (opts.account ? a.id == *opts.account : a.enabled) chosen.push_back(&a);
  if (chosen.empty()) {
    err << "lpda-sync check: "
        << (opts.account
                ? "account " + escape_text(*opts.account) + " is not in " + opts.config_path
                : "no enabled account in " + opts.config_path)
        << '\n';
    return exit_usage;
  }

  asio::io_context io;
  // One attempt per request: a check reports what happened, not what a retry might hide.
  http::retry_settings once;
  once.max_attempts = 1;
  std::unique_ptr<http::client> client;
  try {
    client = std::make_unique<http::client>(io.get_executor(), client_settings_of(cfg), once);
  } catch (const error_exception& e) {
    err << "lpda-sync check: " << e.what() << '\n';
    return exit_config;
  }
  // Downloads go to the temporary directory, never beside the database.
  const auto spool_dir =
      std::filesystem::temp_directory_path() / ("lpda-sync-check-" + std::to_string(::getpid()));
  if (opts.download_one) std::filesystem::create_directories(spool_dir);

  http::csds_cache cache;
  std::vector<std::unique_ptr<check_env>> envs;
  std::vector<std::unique_ptr<http::auth_strategy>> auths;
  std::vector<std::unique_ptr<api::data_access_client>> clients;
  for (const auto* a : chosen) {
    auto env = std::make_unique<check_env>();
    auths.push_back(make_auth(*client, *a, &cache, {}));
    clients.push_back(
        std::make_unique<api::data_access_client>(*client, *auths.back(), endpoint_of(*a)));
    env->http = client.get();
    env->account = a;
    env->auth = auths.back().get();
    env->client = clients.back().get();
    env->hours = opts.hours;
    env->download_one = opts.download_one;
    env->spool_dir = spool_dir;
    env->skew_warning = clock_skew_warning_of(cfg);
    env->client->set_clock_skew_warning(clock_skew_warning_of(cfg));
    envs.push_back(std::move(env));
  }
  check_env* current = nullptr;
  client->set_observer([&current](const http::request_event& e) {
    if (current != nullptr && e.status != 0) current->last_status = e.status;
  });

  int rc = exit_ok;
  for (auto& env : envs) {
    current = env.get();
    asio::co_spawn(io, check_account(env.get()), asio::detached);
    io.restart();
    io.run();
    const auto& a = *env->account;
    out << "account " << a.id << " (" << config::effective_base_url(a) << ", "
        << (std::holds_alternative<config::oauth2_credentials>(a.auth) ? "OAuth 2.0" : "OAuth 1.0a")
        << ")\n"
        << env->result.lines.str();
    out << "  => " << (env->result.failed ? "FAILED" : "ok") << " (exit " << env->result.exit_code
        << ")\n";
    rc = worse_exit_code(rc, env->result.exit_code);
  }
  if (opts.download_one) {
    std::error_code ec;
    std::filesystem::remove_all(spool_dir, ec);
  }
  out << "lpda-sync check: " << (rc == exit_ok ? "everything needed works" : "FAILED") << " (exit "
      << rc << ")\n";
  return rc;
}

}  // namespace lpda::cli
