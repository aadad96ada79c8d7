#include "lpda/daemon/service.hpp"

#include "lpda/daemon/signal_watcher.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/steady_timer.hpp>

#include <csignal>
#include <cstring>

namespace lpda::daemon {
namespace asio = boost::asio;
using std::chrono::milliseconds;

namespace {

// "250 ms", "45 s", "15 min", "2 h": the delay in an alert a person reads.
std::string human(milliseconds d) {
  const auto ms = d.count();
  if (ms < 10'000) return std::to_string(ms) + " ms";
  if (ms < 180'000) return std::to_string(ms / 1000) + " s";
  if (ms < 3 * 3'600'000) return std::to_string(ms / 60'000) + " min";
  return std::to_string(ms / 3'600'000) + " h";
}

}  // namespace

struct service::impl : std::enable_shared_from_this<impl> {
  impl(asio::any_io_executor e, service_hooks h, service_settings s)
      : ex(std::move(e)), hooks(std::move(h)), settings(std::move(s)), shutdown_timer(ex) {}

  asio::any_io_executor ex;
  service_hooks hooks;
  service_settings settings;
  notifier notify;
  std::unique_ptr<scheduler> sched;
  std::unique_ptr<signal_watcher> signals;
  std::unique_ptr<heartbeat> beat;
  asio::steady_timer shutdown_timer;
  bool started = false;
  bool stop_requested = false;
  bool stopped = false;
  int applied = 0;
  int rejected = 0;
  std::string last_status;

  // Notification failures are logged, never fatal: the service manager may be gone already
  // (stop), and a lost STATUS= line is harmless. WATCHDOG=1 failures are not logged at all, as
  // they would repeat every ping; the watchdog itself reports a dead channel.
  void log_notify(const result<bool>& r) {
    if (r.has_error()) spdlog::warn("{}", r.error().what());
  }

  // Only a changed line is sent: sd_notify blocks the loop while the manager's socket queue is
  // full, so the loop does not add messages that say nothing new.
  void send_status() {
    auto line = format_status(sched->progress());
    if (line == last_status) return;
    (void)notify.status(line);
    last_status = std::move(line);
  }

  void build(const std::weak_ptr<impl>& weak) {
    scheduler::options o;
    o.jitter = settings.jitter;
    o.random = settings.random;
    o.on_error = [](const std::string& id, const std::string& what) {
      spdlog::error("account={}: poll aborted by an unexpected error: {}", id, what);
    };
    o.on_poll_finished = [weak](const std::string& id, poll_outcome outcome, milliseconds next) {
      auto self = weak.lock();
      if (!self) return;
      if (outcome == poll_outcome::auth_failed)
        spdlog::error(
            "account={}: authentication failed (HTTP 401/403): check its credentials; the account "
            "is paused until its next poll in {}",
            id, human(next));
      if (self->hooks.on_poll_finished) self->hooks.on_poll_finished(id, outcome, next);
      self->send_status();
    };
    o.on_stopped = [weak]() {
      if (auto self = weak.lock()) self->finish();
    };
    sched = std::make_unique<scheduler>(ex, hooks.poll, std::move(o));
    signals = std::make_unique<signal_watcher>(
        ex,
        [weak](int signo) {
          if (auto self = weak.lock()) {
            spdlog::info("{} received: stopping", signo == SIGINT ? "SIGINT" : "SIGTERM");
            self->request_stop();
          }
        },
        [weak]() {
          if (auto self = weak.lock()) self->reload();
        });
  }

  void start(std::vector<scheduled_account> accounts) {
    if (started) return;
    started = true;
    signals->start();
    sched->update_accounts(std::move(accounts));
    const auto interval =
        settings.watchdog_interval ? settings.watchdog_interval : notifier::watchdog_interval();
    if (interval) {
      beat = std::make_unique<heartbeat>(ex, *interval, [n = notify]() { (void)n.watchdog(); });
      beat->start();
    }
    log_notify(notify.ready());
    send_status();
    // The start itself is logged by the caller, which knows the database and the accounts.
    if (interval) spdlog::info("watchdog ping every {} ms", interval->count());
  }

  void request_stop() {
    if (stop_requested || stopped) return;
    stop_requested = true;
    log_notify(notify.stopping());
    if (hooks.on_stopping) hooks.on_stopping();
    last_status = "stopping: waiting for polls in flight";
    (void)notify.status(last_status);
    shutdown_timer.expires_after(settings.shutdown_timeout);
    shutdown_timer.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
      auto self = weak.lock();
      if (ec || !self || self->stopped) return;
      spdlog::error("polls still running {} ms after the stop request: giving up on them",
                    self->settings.shutdown_timeout.count());
      if (self->hooks.on_shutdown_timeout) self->hooks.on_shutdown_timeout();
    });
    sched->stop(scheduler::stop_mode::cancel);
  }

  void finish() {
    stopped = true;
    shutdown_timer.cancel();
    if (beat) beat->stop();
    signals->cancel();
    spdlog::info("stopped: every poll has ended");
  }

  void reload() {
    if (stop_requested) return;
    log_notify(notify.reloading());
    if (!hooks.reload) {
      spdlog::info("SIGHUP received: nothing to reload");
    } else {
      auto next = hooks.reload();
      if (next) {
        const auto n = next->size();
        sched->update_accounts(std::move(*next));
        ++applied;
        spdlog::info("configuration reloaded: {} enabled account(s)", n);
      } else {
        ++rejected;
        spdlog::error("configuration reload rejected, the previous configuration stays: {}",
                      next.error().what());
      }
    }
    log_notify(notify.ready());
    send_status();
  }
};

service::service(asio::any_io_executor executor, service_hooks hooks, service_settings settings)
    : impl_(std::make_shared<impl>(std::move(executor), std::move(hooks), std::move(settings))) {
  impl_->build(impl_);
}

service::~service() {
  // Without the service nothing would end the loops' run or the heartbeat: stop them quietly.
  try {
    impl_->shutdown_timer.cancel();
    if (impl_->beat) impl_->beat->stop();
    impl_->signals->cancel();
    impl_->sched->stop(scheduler::stop_mode::cancel);
  } catch (...) {
    // Destructors never throw.
  }
}

void service::start(std::vector<scheduled_account> accounts) {
  impl_->start(std::move(accounts));
}
void service::request_stop() {
  impl_->request_stop();
}
void service::reload() {
  impl_->reload();
}
bool service::stopped() const noexcept {
  return impl_->stopped;
}
int service::reloads_applied() const noexcept {
  return impl_->applied;
}
int service::reloads_rejected() const noexcept {
  return impl_->rejected;
}
const scheduler& service::accounts() const noexcept {
  return *impl_->sched;
}

}  // namespace lpda::daemon
