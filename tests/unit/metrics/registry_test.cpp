// The registry's exposition format and lpda-sync's families, without sockets.
#include "lpda/metrics/registry.hpp"
#include "lpda/core/version.hpp"
#include "lpda/metrics/daemon_metrics.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <thread>

using namespace lpda::metrics;

TEST_SUITE("metrics") {
  TEST_CASE("format_value: integers plain and fractions in shortest exact form") {
    CHECK(format_value(0) == "0");
    CHECK(format_value(42) == "42");
    CHECK(format_value(-3) == "-3");
    CHECK(format_value(0.25) == "0.25");
    CHECK(format_value(0.1) == "0.1");
    CHECK(format_value(1.5e-9) == "1.5e-09");
    CHECK(format_value(9007199254740992.0) == "9007199254740992");
    CHECK(format_value(std::numeric_limits<double>::infinity()) == "+Inf");
    CHECK(format_value(-std::numeric_limits<double>::infinity()) == "-Inf");
    CHECK(format_value(std::numeric_limits<double>::quiet_NaN()) == "NaN");
  }

  TEST_CASE("escape_label_value escapes backslash quote and newline only") {
    CHECK(escape_label_value("a\"b\\c\nd\te") == "a\\\"b\\\\c\\nd\te");
    CHECK(escape_label_value("plain") == "plain");
  }

  TEST_CASE("render: exact text for counters gauges and labels") {
    registry r;
    auto c = r.counter("app_requests_total", "Requests.\nSecond line with \\ backslash.",
                       {"path", "code"});
    auto g = r.gauge("app_temperature_celsius", "Temperature.");
    c.inc({"/a", "200"});
    c.inc({"/a", "200"}, 2);
    c.inc({"we\"ird\\pa\nth", "500"}, 0.5);
    c.inc({"/a", "200"}, -5);  // ignored: counters never go down
    g.set({}, -1.25);
    const std::string expected =
        "# HELP app_requests_total Requests.\\nSecond line with \\\\ backslash.\n"
        "# TYPE app_requests_total counter\n"
        "app_requests_total{path=\"/a\",code=\"200\"} 3\n"
        "app_requests_total{path=\"we\\\"ird\\\\pa\\nth\",code=\"500\"} 0.5\n"
        "# HELP app_temperature_celsius Temperature.\n"
        "# TYPE app_temperature_celsius gauge\n"
        "app_temperature_celsius -1.25\n";
    CHECK(r.render() == expected);
    CHECK(c.value({"/a", "200"}) == 3);
    CHECK(c.value({"/b", "200"}) == 0);
  }

  TEST_CASE("render: an unlabelled family shows 0 before any update - a labelled one no series") {
    registry r;
    r.counter("a_total", "A.");
    r.counter("b_total", "B.", {"x"});
    CHECK(r.render() ==
          "# HELP a_total A.\n# TYPE a_total counter\na_total 0\n"
          "# HELP b_total B.\n# TYPE b_total counter\n");
  }

  TEST_CASE("histogram: buckets are cumulative with le semantics and +Inf last") {
    registry r;
    auto h = r.histogram("op_seconds", "Op time.", {"kind"}, {0.1, 1, 2.5});
    // 0.1 falls in le="0.1" (upper bound inclusive); 3 only in +Inf.
    for (double v : {0.05, 0.1, 0.5, 1.0, 2.0, 3.0}) h.observe({"x"}, v);
    h.observe({"x"}, std::numeric_limits<double>::quiet_NaN());  // ignored
    const std::string expected =
        "# HELP op_seconds Op time.\n"
        "# TYPE op_seconds histogram\n"
        "op_seconds_bucket{kind=\"x\",le=\"0.1\"} 2\n"
        "op_seconds_bucket{kind=\"x\",le=\"1\"} 4\n"
        "op_seconds_bucket{kind=\"x\",le=\"2.5\"} 5\n"
        "op_seconds_bucket{kind=\"x\",le=\"+Inf\"} 6\n"
        "op_seconds_sum{kind=\"x\"} 6.65\n"
        "op_seconds_count{kind=\"x\"} 6\n";
    CHECK(r.render() == expected);
    const auto s = h.snapshot({"x"});
    CHECK(s.counts == std::vector<std::uint64_t>{2, 2, 1, 1});
    CHECK(s.count == 6);
  }

  TEST_CASE("histogram without labels renders le as the only label") {
    registry r;
    auto h = r.histogram("t_seconds", "T.", {}, {1});
    h.observe({}, 2);
    CHECK(r.render() ==
          "# HELP t_seconds T.\n# TYPE t_seconds histogram\n"
          "t_seconds_bucket{le=\"1\"} 0\nt_seconds_bucket{le=\"+Inf\"} 1\n"
          "t_seconds_sum 2\nt_seconds_count 1\n");
  }

  TEST_CASE(
      "registration rejects bad names duplicates and bad bounds - updates check label count") {
    registry r;
    CHECK_THROWS_AS(r.counter("9bad_total", "x"), std::invalid_argument);
    CHECK_THROWS_AS(r.counter("bad-name_total", "x"), std::invalid_argument);
    CHECK_THROWS_AS(r.counter("ok_total", "x", {"__reserved"}), std::invalid_argument);
    CHECK_THROWS_AS(r.histogram("h_seconds", "x", {"le"}, {1}), std::invalid_argument);
    CHECK_THROWS_AS(r.histogram("h_seconds", "x", {}, {1, 1}), std::invalid_argument);
    CHECK_THROWS_AS(r.histogram("h_seconds", "x", {}, {1, std::nan("")}), std::invalid_argument);
    auto c = r.counter("ok_total", "x", {"a"});
    CHECK_THROWS_AS(r.gauge("ok_total", "again"), std::invalid_argument);
    CHECK_THROWS_AS(c.inc({}), std::invalid_argument);
    CHECK_THROWS_AS(c.inc({"1", "2"}), std::invalid_argument);
    auto g = r.gauge("ns:colon_ok", "colons are allowed in metric names");
    g.add({}, 2);
    g.add({}, -0.5);
    CHECK(g.value({}) == 1.5);
  }

  TEST_CASE("gauge remove drops the series from the output") {
    registry r;
    auto g = r.gauge("g_bytes", "G.", {"a"});
    g.set({"x"}, 1);
    g.set({"y"}, 2);
    g.remove({"x"});
    CHECK(r.render() == "# HELP g_bytes G.\n# TYPE g_bytes gauge\ng_bytes{a=\"y\"} 2\n");
  }

  TEST_CASE("concurrent updates from two threads are all counted") {
    registry r;
    auto c = r.counter("n_total", "N.", {"t"});
    auto h = r.histogram("d_seconds", "D.", {}, {0.5});
    auto work = [&](const char* label) {
      for (int i = 0; i < 20000; ++i) {
        c.inc({label});
        c.inc({"shared"});
        h.observe({}, (i % 2) != 0 ? 1.0 : 0.0);
      }
    };
    std::thread a(work, "a");
    std::thread b(work, "b");
    std::string last;
    for (int i = 0; i < 20; ++i) last = r.render();  // render while writers run
    a.join();
    b.join();
    CHECK(c.value({"a"}) == 20000);
    CHECK(c.value({"b"}) == 20000);
    CHECK(c.value({"shared"}) == 40000);
    const auto s = h.snapshot({});
    CHECK(s.count == 40000);
    CHECK(s.counts[0] == 20000);
    CHECK(s.sum == 20000);
  }

  TEST_CASE(
      "daemon_metrics: clock skew per account - watermark repairs - lag from the server's now") {
    std::int64_t now_ms = 1'700'000'000'000;
    daemon_metrics m([&] { return now_ms; });
    poll_figures p;
    p.account_id = "123";
    p.data_type = "agentActivity";
    // The host is 2 days ahead of the server; the watermark is 60 s behind the server's now.
    const std::int64_t two_days = 172'800'000;
    p.clock_skew_ms = two_days;
    p.watermark_after_ms = now_ms - two_days - 60'000;
    p.watermark_repaired = true;
    m.record_poll(p);
    const std::string s = "{account=\"123\",data_type=\"agentActivity\"}";
    std::string text = m.render();
    CHECK(text.find("lpda_sync_clock_skew_seconds{account=\"123\"} 172800\n") != std::string::npos);
    CHECK(text.find("lpda_sync_watermark_repairs_total" + s + " 1\n") != std::string::npos);
    // Lag against the server's now (host clock less the skew): 60 s, not 2 days.
    CHECK(text.find("lpda_sync_watermark_lag_seconds" + s + " 60\n") != std::string::npos);

    // The next poll had no Date header: the skew is unknown and its series goes away.
    p.clock_skew_ms.reset();
    p.watermark_repaired = false;
    p.watermark_after_ms = now_ms - 30'000;
    m.record_poll(p);
    text = m.render();
    CHECK(text.find("lpda_sync_clock_skew_seconds{") == std::string::npos);
    CHECK(text.find("lpda_sync_watermark_repairs_total" + s + " 1\n") != std::string::npos);
    CHECK(text.find("lpda_sync_watermark_lag_seconds" + s + " 30\n") != std::string::npos);
  }

  TEST_CASE("daemon_metrics: record_poll counts by result and sets watermark and success time") {
    std::int64_t now_ms = 1'700'000'000'000;
    daemon_metrics m([&] { return now_ms; });
    poll_figures p;
    p.account_id = "123";
    p.data_type = "agentActivity";
    p.files_done = 3;
    p.events_read = 40;
    p.events_inserted = 30;
    p.bytes_downloaded = 5000;
    p.watermark_after_ms = now_ms - 90'000;
    m.record_poll(p);
    p.files_done = 1;
    p.files_failed = 2;
    p.files_quarantined = 1;
    m.record_poll(p);
    poll_figures e;
    e.account_id = "123";
    e.data_type = "agentActivity";
    e.poll_error = true;
    now_ms += 60'000;
    m.record_poll(e);

    const std::string text = m.render();
    const std::string s = "{account=\"123\",data_type=\"agentActivity\"}";
    auto has = [&](const std::string& line) {
      INFO(line);
      CHECK(text.find(line + "\n") != std::string::npos);
    };
    has("lpda_sync_polls_total{account=\"123\",data_type=\"agentActivity\",result=\"ok\"} 1");
    has("lpda_sync_polls_total{account=\"123\",data_type=\"agentActivity\",result=\"files_failed\"}"
        " "
        "1");
    has("lpda_sync_polls_total{account=\"123\",data_type=\"agentActivity\",result=\"error\"} 1");
    has("lpda_sync_files_downloaded_total" + s + " 4");
    has("lpda_sync_files_failed_total" + s + " 2");
    has("lpda_sync_files_quarantined_total" + s + " 1");
    has("lpda_sync_events_upserted_total" + s + " 80");
    has("lpda_sync_events_new_total" + s + " 60");
    has("lpda_sync_downloaded_bytes_total" + s + " 10000");
    // 1'700'000'000'000 - 90'000 ms = 1699999910 s; lag at render = 90 s + 60 s.
    has("lpda_sync_watermark_timestamp_seconds" + s + " 1699999910");
    has("lpda_sync_watermark_lag_seconds" + s + " 150");
    // The last success is the second poll (the third had a poll error), at the first now.
    has("lpda_sync_last_success_timestamp_seconds" + s + " 1700000000");
    has("lpda_sync_build_info{version=\"" + std::string(lpda::version()) + "\"} 1");
    // The lag follows the clock between polls.
    now_ms += 10'500;
    CHECK(m.render().find("lpda_sync_watermark_lag_seconds" + s + " 160.5\n") != std::string::npos);
  }

  TEST_CASE("daemon_metrics: record_http by status - by error kind and retries by reason") {
    daemon_metrics m;
    lpda::http::request_event ev;
    ev.status = 503;
    ev.retrying = true;
    m.record_http(ev);
    ev.status = 429;
    m.record_http(ev);
    ev.status = 200;
    ev.retrying = false;
    m.record_http(ev);
    m.record_http(ev);
    lpda::http::request_event t;
    t.error = lpda::errc::timeout;
    t.retrying = true;
    m.record_http(t);
    t.error = lpda::errc::tls;
    t.retrying = false;
    m.record_http(t);
    const std::string text = m.render();
    for (const char* line : {"lpda_sync_http_responses_total{code=\"200\"} 2\n",
                             "lpda_sync_http_responses_total{code=\"429\"} 1\n",
                             "lpda_sync_http_responses_total{code=\"503\"} 1\n",
                             "lpda_sync_http_transport_errors_total{kind=\"timeout\"} 1\n",
                             "lpda_sync_http_transport_errors_total{kind=\"tls\"} 1\n",
                             "lpda_sync_http_retries_total{reason=\"server_error\"} 1\n",
                             "lpda_sync_http_retries_total{reason=\"throttled\"} 1\n",
                             "lpda_sync_http_retries_total{reason=\"timeout\"} 1\n"}) {
      INFO(line);
      CHECK(text.find(line) != std::string::npos);
    }
    CHECK(text.find("reason=\"tls\"") == std::string::npos);
    // An empty listing's 404 is an outcome: counted apart, never as a 404 response.
    CHECK(text.find("lpda_sync_empty_listings_total 0\n") != std::string::npos);
    lpda::http::request_event empty;
    empty.status = 404;
    empty.expected_answer = true;
    m.record_http(empty);
    m.record_http(empty);
    const std::string after = m.render();
    CHECK(after.find("lpda_sync_empty_listings_total 2\n") != std::string::npos);
    CHECK(after.find("code=\"404\"") == std::string::npos);
  }

  TEST_CASE("daemon_metrics: OAuth 2.0 token fetches by account and result") {
    daemon_metrics m;
    m.record_token_fetch("123", "ok");
    m.record_token_fetch("123", "ok");
    m.record_token_fetch("123", "refused");
    m.record_token_fetch("9", "error");
    const std::string text = m.render();
    for (const char* line :
         {"lpda_sync_oauth2_token_requests_total{account=\"123\",result=\"ok\"} 2\n",
          "lpda_sync_oauth2_token_requests_total{account=\"123\",result=\"refused\"} 1\n",
          "lpda_sync_oauth2_token_requests_total{account=\"9\",result=\"error\"} 1\n",
          "# TYPE lpda_sync_oauth2_token_requests_total counter\n"}) {
      INFO(line);
      CHECK(text.find(line) != std::string::npos);
    }
  }

  TEST_CASE("daemon_metrics: store transaction histogram in seconds") {
    daemon_metrics m;
    m.observe_store_transaction(std::chrono::milliseconds(3));
    m.observe_store_transaction(std::chrono::seconds(2));
    const std::string text = m.render();
    CHECK(text.find("lpda_sync_store_transaction_seconds_bucket{le=\"0.001\"} 0\n") !=
          std::string::npos);
    CHECK(text.find("lpda_sync_store_transaction_seconds_bucket{le=\"0.005\"} 1\n") !=
          std::string::npos);
    CHECK(text.find("lpda_sync_store_transaction_seconds_bucket{le=\"2.5\"} 2\n") !=
          std::string::npos);
    CHECK(text.find("lpda_sync_store_transaction_seconds_bucket{le=\"+Inf\"} 2\n") !=
          std::string::npos);
    CHECK(text.find("lpda_sync_store_transaction_seconds_sum 2.003\n") != std::string::npos);
    CHECK(text.find("lpda_sync_store_transaction_seconds_count 2\n") != std::string::npos);
  }

  TEST_CASE("daemon_metrics: readiness needs the config and a successful poll per account") {
    daemon_metrics m;
    auto r = m.check_ready();
    CHECK_FALSE(r.ready);
    CHECK(r.reason == "configuration not loaded");
    m.expect_accounts({"1", "2"});
    r = m.check_ready();
    CHECK_FALSE(r.ready);
    CHECK(r.reason == "no successful poll yet for account(s) 1, 2");
    poll_figures p;
    p.account_id = "1";
    p.data_type = "agentActivity";
    p.files_failed = 1;  // file failures do not block readiness
    m.record_poll(p);
    poll_figures e;
    e.account_id = "2";
    e.data_type = "agentActivity";
    e.poll_error = true;
    m.record_poll(e);
    r = m.check_ready();
    CHECK_FALSE(r.ready);
    CHECK(r.reason == "no successful poll yet for account(s) 2");
    e.poll_error = false;
    m.record_poll(e);
    r = m.check_ready();
    CHECK(r.ready);
    CHECK(r.reason.empty());
    // A second data type of account 1 whose poll stops early keeps account 1 not ready until
    // that data type succeeds too.
    poll_figures other;
    other.account_id = "1";
    other.data_type = "messagingConversation";
    other.poll_error = true;
    m.record_poll(other);
    CHECK(m.check_ready().reason == "no successful poll yet for account(s) 1");
    other.poll_error = false;
    m.record_poll(other);
    CHECK(m.check_ready().ready);
    other.poll_error = true;  // a later failure does not take readiness back
    m.record_poll(other);
    CHECK(m.check_ready().ready);
    m.expect_accounts({"1", "2", "3"});  // after a reload adds an account
    CHECK(m.check_ready().reason == "no successful poll yet for account(s) 3");
  }
}
