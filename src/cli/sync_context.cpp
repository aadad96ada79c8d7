#include "sync_context.hpp"

#include "commands.hpp"
#include "compose.hpp"
#include "logging.hpp"
#include "lpda/cli/exit_codes.hpp"
#include "lpda/core/error_kind.hpp"
#include "lpda/store/database.hpp"

#include <spdlog/spdlog.h>

#include <signal.h>

#include <cctype>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <variant>

namespace lpda::cli {

std::optional<int> load_config_without_secrets(const std::string& config_path, config::config& out,
                                               std::ostream& err) {
  try {
    out =
        config::load_file(config_path, config::process_environment(), config::secrets::syntax_only);
  } catch (const config::config_error& e) {
    err << e.what() << '\n';
    return exit_config;
  }
  return std::nullopt;
}

std::optional<int> load_config(const std::string& config_path, config::config& out) {
  try {
    out = config::load_file(config_path);
  } catch (const config::config_error& e) {
    std::cerr << e.what() << '\n';
    return exit_config;
  }
  setup_logging(out.log);
  return std::nullopt;
}

void clean_spool(const std::filesystem::path& spool_dir) {
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator(spool_dir, ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    const auto name = it->path().filename().string();
    const auto ext = it->path().extension();
    if (!it->is_regular_file() || (ext != ".download" && ext != ".transport")) continue;
    // Names start with the writer's process id: leave files of processes still running (a
    // backfill beside the daemon), remove those of processes that died.
    const auto dash = name.find('-');
    const long pid =
        dash == std::string::npos ? 0 : std::strtol(name.substr(0, dash).c_str(), nullptr, 10);
    if (pid > 0 && ::kill(static_cast<pid_t>(pid), 0) == 0) continue;
    std::error_code rm;
    std::filesystem::remove(it->path(), rm);
  }
}

std::unique_ptr<sync_context> sync_context::open(const config::config& cfg, int& exit_code) {
  std::unique_ptr<sync_context> ctx(new sync_context(cfg));
  const auto dir = std::filesystem::path(cfg.database).parent_path();
  std::error_code dir_ec;
  if (!dir.empty() && !std::filesystem::is_directory(dir, dir_ec)) {
    spdlog::error(
        "database: the directory {} of {} does not exist (create it, or fix "
        "`database` in {})",
        dir.string(), cfg.database, cfg.source.string());
    exit_code = exit_config;
    return nullptr;
  }
  try {
    ctx->store_.emplace(open_store(cfg));
  } catch (const error_exception& e) {
    spdlog::error("database {}: {}", cfg.database, e.what());
    // A busy database may free up (75, retried); a schema from a newer lpda-sync needs a person
    // (78: systemd does not restart it in a loop).
    exit_code = exit_code_for_store_error(e.err());
    return nullptr;
  }
  try {
    ctx->http_ = std::make_unique<http::client>(ctx->io_.get_executor(), client_settings_of(cfg),
                                                retry_settings_of(cfg));
  } catch (const error_exception& e) {
    spdlog::error("HTTP client: {}", e.what());
    exit_code = exit_config;
    return nullptr;
  }
  ctx->http_->set_observer(log_http_attempt);
  clean_spool(spool_dir_of(cfg));
  return ctx;
}

sync_context::~sync_context() {
  shutdown();
}

void sync_context::shutdown() {
  if (store_) store_->join();
}

std::unique_ptr<account_runtime> sync_context::make_runtime(const config::account& a) {
  auto rt = std::make_unique<account_runtime>();
  rt->account = a;
  rt->auth = make_auth(*http_, a, &csds_, token_observer_);
  rt->client = std::make_unique<api::data_access_client>(*http_, *rt->auth, endpoint_of(a));
  rt->settings = account_settings_of(cfg_, a, system_now_ms());
  return rt;
}

bool sync_context::add_accounts(const std::optional<std::string>& only_account) {
  bool found = !only_account;
  for (const auto& a : cfg_.accounts) {
    if (only_account) {
      if (a.id != *only_account) continue;
      found = true;
    } else if (!a.enabled) {
      continue;
    }
    accounts_.push_back(make_runtime(a));
  }
  if (!found) spdlog::error("account {} is not in the config", *only_account);
  return found;
}

namespace {

// What went wrong with an attempt that got no response, in the words a person acts on:
// "connection refused", "timeout (…)", "TLS: …". `detail` is "<step> <host>:<port>: <reason>".
std::string cause_of(const http::request_event& e) {
  const std::string detail(e.detail);
  const auto colon = detail.rfind(": ");
  const std::string reason = colon == std::string::npos ? detail : detail.substr(colon + 2);
  const errc kind = e.error.value_or(errc::network);
  if (kind == errc::timeout) return "timeout (" + detail + ")";
  if (kind == errc::tls) return "TLS: " + detail;
  std::string lower = reason;
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "connection refused") return "connection refused";
  if (detail.empty()) return make_error_code(kind).message();
  return "network error: " + detail;
}

std::string format_delay(std::chrono::milliseconds d) {
  if (d.count() < 1000) return std::to_string(d.count()) + " ms";
  if (d.count() % 1000 == 0) return std::to_string(d.count() / 1000) + " s";
  return fmt::format("{:.1f} s", static_cast<double>(d.count()) / 1000.0);
}

}  // namespace

void log_http_attempt(const http::request_event& e) {
  if (!e.retrying) return;
  const std::string what = e.status != 0 ? "HTTP " + std::to_string(e.status) : cause_of(e);
  // Hosts are IP literals or names; an IPv6 literal gets its brackets back.
  const std::string host = e.host.find(':') != std::string_view::npos
                               ? "[" + std::string(e.host) + "]"
                               : std::string(e.host);
  const std::string line = fmt::format("{} {}:{}: {} (attempt {}); retrying in {}, at {}", e.method,
                                       host, e.port, what, e.attempt, format_delay(e.retry_delay),
                                       format_iso8601_ms(system_now_ms() + e.retry_delay.count()));
  if (e.context.empty())
    spdlog::warn("{}", line);
  else
    spdlog::warn("{}: {}", e.context, line);
}

void log_report(const sync::poll_report& r) {
  // A backfill leaves the watermark alone (its report has none to show).
  const auto wm = !r.watermark_after ? std::string("none") : format_iso8601_ms(*r.watermark_after);
  const auto msg = fmt::format(
      "account={} data_type={}: {} files listed, {} already stored or quarantined, {} stored ({} "
      "events, {} new, {} bytes), {} failed, {} quarantined{}",
      r.account_id, r.data_type, r.files_listed, r.files_skipped, r.files_done, r.events_read,
      r.events_inserted, r.bytes_downloaded, r.files_failed, r.files_quarantined,
      r.is_backfill ? std::string() : "; watermark " + wm);
  // A poll that stopped early (its listing failed, credentials refused, the store failed) is an
  // error; one that only left files to retry is a warning (docs/operations.md, "Logs").
  if (r.ok())
    spdlog::info("{}", msg);
  else if (r.error)
    spdlog::error("{}; stopped: {}", msg, r.error->what());
  else
    spdlog::warn("{}", msg);
}

int exit_code_for(const std::vector<sync::poll_report>& reports, bool any_crash) {
  // The worst over the reports (error_kind.hpp's ranking): credentials refused need a person
  // whatever else failed; a run stopped only by temporary failures may pass next time; failed
  // or quarantined files, and a crash, are a failure.
  int code = any_crash ? exit_partial : exit_ok;
  for (const auto& r : reports) {
    if (r.ok()) continue;
    // Credentials refused (the account's scope) need a person; a temporary kind may pass next
    // time; any other stop, a system error among them, is a failure.
    const auto* kind = r.error ? traits_of(r.error->code) : nullptr;
    const int stopped = kind == nullptr                         ? exit_partial
                        : kind->scope == failure_scope::account ? exit_config
                        : kind->temporary                       ? exit_temp_fail
                                                                : exit_partial;
    code = worse_exit_code(code, stopped);
    if (r.files_failed || r.files_quarantined) code = worse_exit_code(code, exit_partial);
  }
  return code;
}

}  // namespace lpda::cli
