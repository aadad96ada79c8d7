#include "lpda/daemon/signal_watcher.hpp"

#include <boost/asio/signal_set.hpp>

#include <csignal>

namespace lpda::daemon {
namespace asio = boost::asio;

struct signal_watcher::impl : std::enable_shared_from_this<impl> {
  impl(asio::any_io_executor ex, std::function<void(int)> stop, std::function<void()> reload)
      : signals(std::move(ex), SIGTERM, SIGINT, SIGHUP),
        on_stop(std::move(stop)),
        on_reload(std::move(reload)) {}

  asio::signal_set signals;
  std::function<void(int)> on_stop;
  std::function<void()> on_reload;
  bool armed = false;
  bool cancelled = false;

  void arm() {
    // The handler holds the state alive: the signal_set completes with operation_aborted after
    // cancel(), possibly after the watcher object itself is gone.
    signals.async_wait([self = shared_from_this()](const boost::system::error_code& ec, int signo) {
      if (ec || self->cancelled) return;
      if (signo == SIGHUP) {
        if (self->on_reload) self->on_reload();
      } else if (self->on_stop) {
        self->on_stop(signo);
      }
      if (!self->cancelled) self->arm();
    });
  }
};

signal_watcher::signal_watcher(asio::any_io_executor executor, std::function<void(int)> on_stop,
                               std::function<void()> on_reload)
    : impl_(std::make_shared<impl>(std::move(executor), std::move(on_stop), std::move(on_reload))) {
}

signal_watcher::~signal_watcher() {
  cancel();
}

void signal_watcher::start() {
  if (impl_->armed || impl_->cancelled) return;
  impl_->armed = true;
  impl_->arm();
}

void signal_watcher::cancel() {
  if (impl_->cancelled) return;
  impl_->cancelled = true;
  boost::system::error_code ignored;
  impl_->signals.cancel(ignored);
  impl_->signals.clear(ignored);
}

}  // namespace lpda::daemon
