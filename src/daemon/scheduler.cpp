#include "lpda/daemon/scheduler.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

#include <algorithm>
#include <exception>
#include <map>
#include <sstream>

namespace lpda::daemon {
namespace asio = boost::asio;
using steady = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

schedule_settings settings_of(const scheduled_account& a, double jitter) {
  schedule_settings s;
  s.poll_interval = a.poll_interval;
  s.backoff_max = a.backoff_max;
  s.jitter = jitter;
  return s;
}

milliseconds until(steady::time_point t, steady::time_point now) {
  if (t <= now) return milliseconds(0);
  return std::chrono::ceil<milliseconds>(t - now);
}

}  // namespace

std::string format_status(const std::vector<account_progress>& progress) {
  std::size_t polling = 0, ok = 0, failing = 0, auth = 0, waiting = 0;
  int worst = 0;
  std::uint64_t polls = 0;
  for (const auto& p : progress) {
    polls += p.polls_finished;
    if (p.polling)
      ++polling;
    else if (!p.last_outcome)
      ++waiting;
    else if (*p.last_outcome == poll_outcome::ok)
      ++ok;
    else if (*p.last_outcome == poll_outcome::auth_failed)
      ++auth;
    else {
      ++failing;
      worst = std::max(worst, p.consecutive_failures);
    }
  }
  std::ostringstream os;
  os << progress.size() << (progress.size() == 1 ? " account: " : " accounts: ") << polling
     << " polling, " << ok << " ok, " << failing << " failing";
  if (failing) os << " (max " << worst << " in a row)";
  os << ", " << auth << " auth failed";
  if (waiting) os << ", " << waiting << " waiting";
  os << "; " << polls << (polls == 1 ? " poll" : " polls");
  return os.str();
}

// ---------------------------------------------------------------------------------------------
// scheduler

namespace detail {

// One account's loop state. Shared by the loop coroutine, the scheduler's map and the loop's
// completion handler; the handler holds it last, so the cancellation signal bound to the loop
// outlives every use Asio makes of it.
struct account_slot {
  explicit account_slot(asio::any_io_executor ex) : timer(std::move(ex)) {}
  scheduled_account account;
  schedule_settings settings;
  backoff_state backoff;
  asio::steady_timer timer;
  asio::cancellation_signal cancel;
  bool removed = false;
  bool polling = false;
  bool started_once = false;
  steady::time_point last_start{};
  steady::time_point due{};
  milliseconds last_duration{0};
  std::uint64_t started = 0;
  std::uint64_t finished = 0;
  std::optional<poll_outcome> last_outcome;
};

struct loop_done {
  std::shared_ptr<account_slot> slot;
  void operator()(std::exception_ptr) const noexcept {}
};

}  // namespace detail

using detail::account_slot;
using detail::loop_done;

struct scheduler::impl {
  impl(asio::any_io_executor e, poll_function p, options o)
      : ex(std::move(e)), poll(std::move(p)), opts(std::move(o)) {
    if (!opts.random) opts.random = default_jitter_source();
  }

  asio::any_io_executor ex;
  poll_function poll;
  options opts;
  std::map<std::string, std::shared_ptr<account_slot>> slots;
  bool stopping = false;
  bool stopped_notified = false;
  std::size_t active = 0;

  double draw() { return opts.random(); }

  void notify_if_stopped() {
    if (!stopping || active != 0 || stopped_notified) return;
    stopped_notified = true;
    if (opts.on_stopped) asio::post(ex, opts.on_stopped);
  }

  static asio::awaitable<poll_outcome> run_one_poll(std::shared_ptr<impl> self,
                                                    std::shared_ptr<account_slot> s);
  static asio::awaitable<void> run_account(std::shared_ptr<impl> self,
                                           std::shared_ptr<account_slot> s);
};

asio::awaitable<poll_outcome> scheduler::impl::run_one_poll(std::shared_ptr<scheduler::impl> self,
                                                            std::shared_ptr<account_slot> s) {
  poll_outcome outcome = poll_outcome::failed;
  try {
    outcome = co_await self->poll(s->account.account_id);
  } catch (const boost::system::system_error& e) {
    // A cancellation by stop(cancel) is the expected end of the poll, not an error to report.
    const bool cancelled = self->stopping && e.code() == asio::error::operation_aborted;
    if (!cancelled && self->opts.on_error) self->opts.on_error(s->account.account_id, e.what());
  } catch (const std::exception& e) {
    if (self->opts.on_error) self->opts.on_error(s->account.account_id, e.what());
  } catch (...) {
    if (self->opts.on_error) self->opts.on_error(s->account.account_id, "unknown exception");
  }
  co_return outcome;
}

asio::awaitable<void> scheduler::impl::run_account(std::shared_ptr<impl> self,
                                                   std::shared_ptr<account_slot> s) {
  try {
    while (!self->stopping && !s->removed) {
      const auto now = steady::now();
      if (now < s->due) {
        s->timer.expires_at(s->due);
        // An error here is a cancellation by update_accounts/stop: the loop re-checks its state.
        auto [ec] = co_await s->timer.async_wait(asio::as_tuple(asio::use_awaitable));
        (void)ec;
        continue;
      }
      s->polling = true;
      s->started_once = true;
      s->last_start = now;
      ++s->started;
      const poll_outcome outcome = co_await run_one_poll(self, s);
      const auto end = steady::now();
      s->polling = false;
      ++s->finished;
      s->last_outcome = outcome;
      s->last_duration = std::chrono::duration_cast<milliseconds>(end - s->last_start);
      const milliseconds delay = s->backoff.record(outcome, s->settings, self->draw());
      s->due = next_due(s->last_start, delay, end);
      if (self->opts.on_poll_finished)
        self->opts.on_poll_finished(s->account.account_id, outcome, until(s->due, end));
    }
  } catch (...) {
    // Only a cancellation thrown into the wait after stop(cancel) can land here; the loop ends.
  }
  s->polling = false;
  auto it = self->slots.find(s->account.account_id);
  if (it != self->slots.end() && it->second == s) self->slots.erase(it);
  --self->active;
  self->notify_if_stopped();
}

scheduler::scheduler(asio::any_io_executor executor, poll_function poll, options opts)
    : impl_(std::make_shared<impl>(std::move(executor), std::move(poll), std::move(opts))) {}

scheduler::~scheduler() {
  try {
    stop(stop_mode::finish);
  } catch (...) {
    // Cancelling timers does not throw in practice; a destructor must not either way.
  }
}

void scheduler::update_accounts(std::vector<scheduled_account> accounts) {
  auto& d = *impl_;
  if (d.stopping) return;
  std::map<std::string, scheduled_account> wanted;
  for (auto& a : accounts) wanted[a.account_id] = std::move(a);

  for (auto& [id, s] : d.slots) {
    if (wanted.count(id)) continue;
    s->removed = true;
    if (!s->polling) s->timer.cancel();
  }

  const auto now = steady::now();
  for (auto& [id, a] : wanted) {
    auto it = d.slots.find(id);
    if (it != d.slots.end()) {
      auto& s = *it->second;
      s.removed = false;
      if (s.account == a) continue;
      s.account = a;
      s.settings = settings_of(a, d.opts.jitter);
      if (!s.polling && s.started_once) {
        s.due = next_due(s.last_start, s.backoff.current_delay(s.settings, d.draw()), now);
        s.timer.cancel();
      }
      continue;
    }
    auto s = std::make_shared<account_slot>(d.ex);
    s->account = a;
    s->settings = settings_of(a, d.opts.jitter);
    s->due = now;
    d.slots.emplace(id, s);
    ++d.active;
    asio::co_spawn(d.ex, impl::run_account(impl_, s),
                   asio::bind_cancellation_slot(s->cancel.slot(), loop_done{s}));
  }
}

void scheduler::stop(stop_mode mode) {
  auto& d = *impl_;
  if (!d.stopping) {
    d.stopping = true;
    // Copy: a loop may erase its slot while we iterate when a handler runs inline.
    std::vector<std::shared_ptr<account_slot>> all;
    for (auto& [id, s] : d.slots) all.push_back(s);
    for (auto& s : all) {
      if (!s->polling) s->timer.cancel();
    }
    d.notify_if_stopped();
  }
  if (mode == stop_mode::cancel) {
    std::vector<std::shared_ptr<account_slot>> all;
    for (auto& [id, s] : d.slots) all.push_back(s);
    for (auto& s : all)
      if (s->polling) s->cancel.emit(asio::cancellation_type::terminal);
  }
}

bool scheduler::stopping() const noexcept {
  return impl_->stopping;
}

std::size_t scheduler::active_loops() const noexcept {
  return impl_->active;
}

std::vector<account_progress> scheduler::progress() const {
  std::vector<account_progress> out;
  const auto now = steady::now();
  for (const auto& [id, s] : impl_->slots) {
    if (s->removed) continue;
    account_progress p;
    p.account_id = id;
    p.polls_started = s->started;
    p.polls_finished = s->finished;
    p.last_outcome = s->last_outcome;
    p.consecutive_failures = s->backoff.consecutive_failures();
    p.polling = s->polling;
    p.last_poll_duration = s->last_duration;
    p.next_poll_in = s->polling ? milliseconds(0) : until(s->due, now);
    out.push_back(std::move(p));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// heartbeat

struct heartbeat::impl {
  impl(asio::any_io_executor ex, milliseconds i, std::function<void()> b)
      : timer(std::move(ex)), interval(std::max(i, milliseconds(1))), beat(std::move(b)) {}
  asio::steady_timer timer;
  milliseconds interval;
  std::function<void()> beat;
  bool running = false;
  bool stopped = false;
  std::uint64_t beats = 0;

  static asio::awaitable<void> run(std::shared_ptr<impl> h);
};

asio::awaitable<void> heartbeat::impl::run(std::shared_ptr<impl> h) {
  // Deadlines advance by whole intervals from the start, so a slow beat does not drift the pings.
  auto next = steady::now();
  while (!h->stopped) {
    ++h->beats;
    if (h->beat) h->beat();
    next += h->interval;
    const auto now = steady::now();
    if (next < now) next = now;
    h->timer.expires_at(next);
    auto [ec] = co_await h->timer.async_wait(asio::as_tuple(asio::use_awaitable));
    (void)ec;
  }
}

heartbeat::heartbeat(asio::any_io_executor executor, milliseconds interval,
                     std::function<void()> beat)
    : impl_(std::make_shared<impl>(std::move(executor), interval, std::move(beat))) {}

heartbeat::~heartbeat() {
  stop();
}

void heartbeat::start() {
  if (impl_->running || impl_->stopped) return;
  impl_->running = true;
  asio::co_spawn(impl_->timer.get_executor(), impl::run(impl_), asio::detached);
}

void heartbeat::stop() {
  impl_->stopped = true;
  impl_->timer.cancel();
}

std::uint64_t heartbeat::beats() const noexcept {
  return impl_->beats;
}

}  // namespace lpda::daemon
