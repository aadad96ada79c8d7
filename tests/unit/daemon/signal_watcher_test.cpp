#include "lpda/daemon/signal_watcher.hpp"

#include <doctest/doctest.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <chrono>
#include <csignal>
#include <vector>

using namespace lpda::daemon;
namespace asio = boost::asio;
using namespace std::chrono_literals;

TEST_SUITE("daemon") {
  TEST_CASE("SIGHUP reloads while SIGTERM and SIGINT stop and the watch re-arms between signals") {
    asio::io_context io;
    std::vector<int> stops;
    int reloads = 0;
    std::vector<std::string> order;
    signal_watcher* self = nullptr;
    signal_watcher w(
        io.get_executor(),
        [&](int signo) {
          stops.push_back(signo);
          order.push_back("stop");
          if (signo == SIGTERM) {
            self->cancel();  // the last expected signal: nothing keeps the loop running
          } else {
            ::raise(SIGTERM);
          }
        },
        [&]() {
          ++reloads;
          order.push_back("reload");
          if (reloads == 1)
            ::raise(SIGHUP);  // a second one, after the re-arm
          else
            ::raise(SIGINT);
        });
    self = &w;
    w.start();
    asio::post(io, []() { ::raise(SIGHUP); });
    io.run_for(5s);
    CHECK(reloads == 2);
    CHECK(stops == std::vector<int>{SIGINT, SIGTERM});
    CHECK(order == std::vector<std::string>{"reload", "reload", "stop", "stop"});
  }

  TEST_CASE("a signal raised before the loop runs is delivered once it runs") {
    asio::io_context io;
    int stop_signo = 0;
    signal_watcher* self = nullptr;
    signal_watcher w(
        io.get_executor(),
        [&](int s) {
          stop_signo = s;
          self->cancel();
        },
        nullptr);
    self = &w;
    w.start();
    ::raise(SIGTERM);  // caught by Asio's handler, queued until the loop runs
    CHECK(stop_signo == 0);
    io.run_for(5s);
    CHECK(stop_signo == SIGTERM);
  }
}
