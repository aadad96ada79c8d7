#include "commands.hpp"
#include "compose.hpp"
#include "database_lock.hpp"
#include "lpda/cli/exit_codes.hpp"
#include "lpda/daemon/service.hpp"
#include "lpda/daemon/sync_outcome.hpp"
#include "lpda/endpoint/server.hpp"
#include "lpda/metrics/daemon_metrics.hpp"
#include "sync_context.hpp"

#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdlib>
#include <map>
#include <memory>

namespace lpda::cli {
namespace asio = boost::asio;
namespace {

// The daemon's accounts by id. A reload replaces entries; a poll in flight keeps its runtime
// alive through its own shared_ptr.
struct run_state {
  std::string config_path;
  sync_context* ctx = nullptr;
  metrics::daemon_metrics* metrics = nullptr;
  std::map<std::string, std::shared_ptr<account_runtime>> runtimes;
  std::unique_ptr<endpoint::server> endpoint;  // null when `listen` is ""
  std::string listen;                          // the address `endpoint` serves
  database_lock* lock = nullptr;               // says `listen` to `lpda-sync health`
};

// Starts the metrics and health endpoint on `listen` (on the daemon's event loop).
result<std::unique_ptr<endpoint::server>> start_endpoint(run_state* st, const std::string& listen) {
  endpoint::server_hooks h;
  metrics::daemon_metrics* m = st->metrics;
  h.metrics = [m] { return m->render(); };
  h.store_writable = [db = st->ctx->cfg().database] { return endpoint::store_writable(db); };
  h.ready = [m] { return m->check_ready(); };
  endpoint::server_settings es;
  es.listen = listen;
  auto started = endpoint::server::start(st->ctx->io().get_executor(), es, std::move(h));
  if (started)
    spdlog::info("metrics and health endpoint on http://{}/ (/metrics, /healthz, /readyz)", listen);
  return started;
}

// A changed `listen` is applied: the new endpoint binds, then the old one closes (first, when
// the new address needs its port, e.g. 127.0.0.1:9464 to 0.0.0.0:9464). When the new address
// cannot be bound, the old one keeps serving and the refusal names the key, so the log says why
// `lpda-sync health` (which reads the new file) fails.
void apply_listen(run_state* st, const std::string& listen) {
  if (listen == st->listen) return;
  const auto close_old = [st] {
    if (st->endpoint) st->endpoint->stop();
    st->endpoint.reset();
  };
  if (listen.empty()) {
    close_old();
    spdlog::info("reload: listen is \"\"; the metrics and health endpoint on {} is closed",
                 st->listen);
    st->listen.clear();
    return;
  }
  auto started = start_endpoint(st, listen);
  if (!started && st->endpoint) {
    close_old();
    started = start_endpoint(st, listen);
  }
  if (started) {
    close_old();
    st->endpoint = std::move(*started);
    st->listen = listen;
    return;
  }
  // The old endpoint serves again before the log says so: whoever reads the line (an operator,
  // a health check) may probe it at once.
  if (!st->listen.empty() && !st->endpoint) {
    if (auto old = start_endpoint(st, st->listen)) {
      st->endpoint = std::move(*old);
    } else {
      spdlog::error(
          "reload: listen: cannot serve on {}: {}; cannot serve on {} again either: {}; "
          "the endpoint is off",
          listen, started.error().what(), st->listen, old.error().what());
      st->listen.clear();
      return;
    }
  }
  spdlog::error("reload: listen: cannot serve on {}: {}; {}", listen, started.error().what(),
                st->listen.empty() ? std::string("the endpoint stays off")
                                   : "still serving on " + st->listen);
}

// The top-level keys a reload does not apply: the database and its paths, the HTTP client and the
// store worker are built once at start-up, and the logger is shared with the store thread.
void warn_restart_only(const config::config& now, const config::config& next) {
  // The limits in effect: a file that writes out a default changes nothing.
  const bool decode_changed = effective_config(now).decode != effective_config(next).decode;
  const std::pair<const char*, bool> keys[] = {{"database", now.database != next.database},
                                               {"spool_dir", now.spool_dir != next.spool_dir},
                                               {"lock_file", now.lock_file != next.lock_file},
                                               {"store", now.store != next.store},
                                               {"log", now.log != next.log},
                                               {"client", now.client != next.client},
                                               {"retry", now.retry != next.retry},
                                               {"decode", decode_changed}};
  for (const auto& [key, changed] : keys)
    if (changed)
      spdlog::warn(
          "reload: {} changed; it takes effect after a restart (`systemctl restart "
          "lpda-sync`)",
          key);
}

std::vector<daemon::scheduled_account> schedule_of(const config::config& cfg) {
  std::vector<daemon::scheduled_account> out;
  for (const auto& a : cfg.accounts)
    if (a.enabled) out.push_back({a.id, a.poll_interval, a.backoff_max});
  return out;
}

void build_runtimes(run_state* st, const config::config& cfg) {
  std::map<std::string, std::shared_ptr<account_runtime>> next;
  for (const auto& a : cfg.accounts) {
    if (!a.enabled) continue;
    auto old = st->runtimes.find(a.id);
    // An unchanged account keeps its runtime (and its OAuth 2.0 token cache).
    if (old != st->runtimes.end() && old->second->account == a) {
      next[a.id] = old->second;
    } else {
      next[a.id] = st->ctx->make_runtime(a);
      metrics::daemon_metrics* m = st->metrics;
      next[a.id]->settings.on_store_transaction = [m](std::chrono::duration<double> d) {
        m->observe_store_transaction(d);
      };
    }
  }
  st->runtimes = std::move(next);
  std::vector<std::string> ids;
  for (const auto& [id, rt] : st->runtimes) ids.push_back(id);
  st->metrics->expect_accounts(std::move(ids));
}

asio::awaitable<daemon::poll_outcome> poll_by_id(run_state* st, std::string account_id) {
  auto it = st->runtimes.find(account_id);
  if (it == st->runtimes.end()) co_return daemon::poll_outcome::ok;  // removed by a reload
  std::shared_ptr<account_runtime> rt = it->second;
  auto reports =
      co_await sync::poll_account(*rt->client, st->ctx->store(), rt->settings, system_now_ms);
  for (const auto& r : reports) {
    log_report(r);
    st->metrics->record_poll({r.account_id, r.data_type, r.error.has_value(), r.files_done,
                              r.files_failed, r.files_quarantined, r.events_read, r.events_inserted,
                              r.bytes_downloaded, r.watermark_after, r.clock_skew_ms,
                              r.watermark_repaired_to.has_value()});
  }
  co_return daemon::outcome_of(reports);
}

result<std::vector<daemon::scheduled_account>> reload(run_state* st) {
  config::config cfg;
  try {
    cfg = config::load_file(st->config_path);
  } catch (const config::config_error& e) {
    return lpda::error{errc::config_invalid, e.what()};
  }
  warn_restart_only(st->ctx->cfg(), cfg);
  // The database, store, client, retry, decode and log settings stay as started with.
  config::config applied = st->ctx->cfg();
  applied.listen = cfg.listen;
  applied.defaults = cfg.defaults;
  applied.accounts = cfg.accounts;
  st->ctx->set_config(applied);
  apply_listen(st, cfg.listen);
  // What the daemon serves, which may not be what the file says: `health` probes this.
  st->lock->announce_listen(st->listen);
  build_runtimes(st, cfg);
  return schedule_of(cfg);
}

}  // namespace

int run_daemon(const std::string& config_path) {
  // Until the service installs its handlers, a SIGHUP (a reload sent early) must not end the
  // process; SIGTERM and SIGINT keep their default and stop it before anything has started.
  std::signal(SIGHUP, SIG_IGN);
  config::config cfg;
  if (auto rc = load_config(config_path, cfg)) return *rc;

  // One daemon per database: a second would poll the same accounts twice.
  auto lock = database_lock::acquire(cfg.lock_file, cfg.database, "run");
  if (!lock) {
    spdlog::error("{}", lock.error().what());
    // 75: the holder may stop (systemd restarts a 75); 78: the lock_file needs fixing.
    return database_lock::exit_code_for(lock.error());
  }

  int rc = exit_ok;
  auto ctx = sync_context::open(cfg, rc);
  if (!ctx) return rc;

  metrics::daemon_metrics m;
  // Retries are logged as in `once`, and counted.
  ctx->http().set_observer([&m](const http::request_event& e) {
    log_http_attempt(e);
    m.record_http(e);
  });
  ctx->set_token_observer([&m](const std::string& account, http::token_fetch_result r) {
    m.record_token_fetch(account, http::to_string(r));
  });
  run_state st{config_path, ctx.get(), &m, {}, nullptr, {}};
  build_runtimes(&st, cfg);

  // The metrics and health endpoint shares the event loop; it is stopped with the service.
  if (!cfg.listen.empty()) {
    auto started = start_endpoint(&st, cfg.listen);
    if (!started) {
      spdlog::error("listen {}: {}", cfg.listen, started.error().what());
      // A port in use may free up (75, restarted); a malformed address will not (78).
      return input_exit_code(started.error().code, exit_temp_fail);
    }
    st.endpoint = std::move(*started);
    st.listen = cfg.listen;
  }
  st.lock = &*lock;
  lock->announce_listen(st.listen);

  bool timed_out = false;
  daemon::service_hooks hooks;
  hooks.poll = [&st](std::string id) { return poll_by_id(&st, std::move(id)); };
  hooks.reload = [&st] { return reload(&st); };
  hooks.on_stopping = [&st] {
    if (st.endpoint) st.endpoint->stop();
  };
  hooks.on_shutdown_timeout = [&ctx, &timed_out] {
    spdlog::warn("polls still running at the shutdown deadline; stopping the event loop");
    timed_out = true;
    ctx->io().stop();
  };
  auto svc = std::make_unique<daemon::service>(ctx->io().get_executor(), std::move(hooks),
                                               daemon::service_settings{});
  svc->start(schedule_of(cfg));
  spdlog::info("lpda-sync running: {} enabled account(s), database {}", st.runtimes.size(),
               cfg.database);
  ctx->io().run();
  // Further signals while shutting down must not kill the process with their default action
  // (the service's handlers go away with it).
  svc.reset();
  std::signal(SIGHUP, SIG_IGN);
  std::signal(SIGTERM, SIG_IGN);
  std::signal(SIGINT, SIG_IGN);

  // The store thread finishes (commits or rolls back) the transaction in flight first.
  ctx->shutdown();
  spdlog::info("lpda-sync stopped");
  if (timed_out) {
    // Coroutines abandoned mid-request still reference the client and sockets; the database is
    // consistent, so leave without running their destructors.
    spdlog::default_logger()->flush();
    std::_Exit(exit_ok);
  }
  return exit_ok;
}

}  // namespace lpda::cli
