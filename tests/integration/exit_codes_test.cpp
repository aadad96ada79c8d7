// Every command's exit codes through the real binary, command by command: success, a usage
// error, and each failure a command can meet (network, credentials refused, a busy or newer
// database, bad input). The codes are the ones `lpda-sync --help` lists (sysexits.h): 0, 1,
// 64 usage, 65 bad data, 66 no input, 75 temporary, 78 config or credentials.
#include "harness.hpp"

#include <doctest/doctest.h>

#include <SQLiteCpp/SQLiteCpp.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

using namespace lpda::test;

namespace {

std::vector<std::string> emulator_args() {
  return {"--accounts", "555", "--agents", "3", "--hours", "3", "--seed", "7"};
}

// A loopback port that refuses connections (bound, never listening) while it lives.
class refusing_port {
 public:
  refusing_port() : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~refusing_port() { ::close(fd_); }
  refusing_port(const refusing_port&) = delete;
  refusing_port& operator=(const refusing_port&) = delete;
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  int fd_;
  std::uint16_t port_ = 0;
};

// Holds `<database>.lock` the way a running lpda-sync does (flock), while it lives.
class held_lock {
 public:
  explicit held_lock(const std::string& database)
      : fd_(::open((database + ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600)) {
    REQUIRE(fd_ >= 0);
    REQUIRE(::flock(fd_, LOCK_EX | LOCK_NB) == 0);
  }
  ~held_lock() { ::close(fd_); }
  held_lock(const held_lock&) = delete;
  held_lock& operator=(const held_lock&) = delete;

 private:
  int fd_;
};

// The config written for the emulator, with its app secret replaced: the API answers 401.
std::string with_wrong_secret(const std::string& config) {
  auto text = read_file(config);
  const auto at = text.find(emu_app_secret);
  REQUIRE(at != std::string::npos);
  text.replace(at, std::string(emu_app_secret).size(), "not-the-secret");
  write_file(config, text);
  return config;
}

// Raises the schema number of the database at `db` beyond this build's.
void make_newer(const std::string& db) {
  SQLite::Database raw(db, SQLite::OPEN_READWRITE);
  const int v = raw.execAndGet("PRAGMA user_version").getInt();
  raw.exec("PRAGMA user_version = " + std::to_string(v + 1));
}

int status_of(const std::string& args) {
  const auto r = run_lpda(args);
  INFO("lpda-sync " << args << "\n" << r.out << r.err);
  return r.status;
}

std::string q(const std::string& s) {
  return "'" + s + "'";
}

}  // namespace

TEST_SUITE("integration_cli") {
  TEST_CASE("exit codes of once and backfill and retry-failed") {
    emulator_process emu(emulator_args());
    temp_dir dir;
    const auto config = write_config(dir, emu.url(), {"555"});
    const auto db = (dir / "lpda.db").string();
    const auto c = " --config " + q(config);

    CHECK(status_of("once" + c) == 0);
    CHECK(status_of("backfill --account 555 --from 2h" + c) == 0);
    CHECK(status_of("retry-failed" + c) == 0);
    CHECK(status_of("once --no-such-option" + c) == 64);
    CHECK(status_of("backfill --account 555 --from yesterday" + c) == 64);
    CHECK(status_of("retry-failed --account 999" + c) == 64);
    {  // another writer holds the database past the retry bound: a later run may succeed
      SQLite::Database writer(db, SQLite::OPEN_READWRITE);
      writer.exec("BEGIN EXCLUSIVE");
      CHECK(status_of("backfill --account 555 --from 2h --refetch" + c) == 75);
      CHECK(status_of("retry-failed" + c) == 75);
      writer.exec("ROLLBACK");
    }
    {  // every download answers 500 after its retries: the files failed
      temp_dir d1;
      const auto c1 = " --config " + q(write_config(d1, emu.url(), {"555"}));
      emu.control("fault", "kind=500&target=download&first=1000");
      CHECK(status_of("once" + c1) == 1);
      CHECK(status_of("backfill --account 555 --from 2h" + c1) == 1);
      emu.control("fault");  // a fresh schedule without faults
    }
    {  // the API cannot be reached: temporary
      refusing_port port;
      temp_dir d2;
      const auto c2 = " --config " + q(write_config(d2, port.url(), {"555"}));
      CHECK(status_of("once" + c2) == 75);
      CHECK(status_of("backfill --account 555 --from 2h" + c2) == 75);
    }
    {  // credentials refused: a person must act
      temp_dir d3;
      const auto c3 = " --config " + q(with_wrong_secret(write_config(d3, emu.url(), {"555"})));
      CHECK(status_of("once" + c3) == 78);
      CHECK(status_of("backfill --account 555 --from 2h" + c3) == 78);
    }
    make_newer(db);  // a database from a newer lpda-sync
    CHECK(status_of("once" + c) == 78);
    CHECK(status_of("backfill --account 555 --from 2h" + c) == 78);
    CHECK(status_of("retry-failed" + c) == 78);
  }

  TEST_CASE("exit codes of status and report and reset-watermark and snapshot") {
    emulator_process emu(emulator_args());
    temp_dir dir;
    const auto config = write_config(dir, emu.url(), {"555"});
    const auto db = (dir / "lpda.db").string();
    const auto c = " --config " + q(config);
    const auto copy = (dir / "copy.db").string();

    // No database yet.
    CHECK(status_of("status" + c) == 66);
    CHECK(status_of("snapshot " + q(copy) + c) == 66);
    REQUIRE(status_of("once" + c) == 0);

    CHECK(status_of("status" + c) == 0);
    CHECK(status_of("status --json" + c) == 0);
    CHECK(status_of("report availability" + c) == 0);
    CHECK(status_of("report availability --format csv" + c) == 0);
    CHECK(status_of("reset-watermark --account 555 --to 1h" + c) == 0);
    CHECK(status_of("reset-watermark --account 555 --clear" + c) == 0);
    CHECK(status_of("snapshot " + q(copy) + c) == 0);

    CHECK(status_of("status --no-such-option" + c) == 64);
    CHECK(status_of("report availability --format xml" + c) == 64);
    CHECK(status_of("report" + c) == 64);
    CHECK(status_of("reset-watermark --account 999 --clear" + c) == 64);
    CHECK(status_of("reset-watermark --account 555 --to 1h --clear" + c) == 64);
    CHECK(status_of("snapshot" + c) == 64);
    {
      // A snapshot over the database or a file SQLite keeps beside it is refused, the file kept.
      const auto before = read_file(db);
      for (const std::string& over : {db, db + "-wal", (dir / "." / "lpda.db").string()})
        CHECK(status_of("snapshot " + q(over) + c) == 64);
      CHECK(read_file(db) == before);
    }
    {
      held_lock lock(db);
      CHECK(status_of("reset-watermark --account 555 --clear" + c) == 75);
      // Readers do not take the lock.
      CHECK(status_of("status" + c) == 0);
    }
    make_newer(db);
    CHECK(status_of("status" + c) == 78);
    CHECK(status_of("report availability" + c) == 78);
    CHECK(status_of("reset-watermark --account 555 --clear" + c) == 78);
  }

  TEST_CASE("exit codes of validate-config and check and health and run") {
    emulator_process emu(emulator_args());
    temp_dir dir;
    const auto config = write_config(dir, emu.url(), {"555"});
    const auto c = " --config " + q(config);

    CHECK(status_of("validate-config" + c) == 0);
    CHECK(status_of("validate-config --no-secrets" + c) == 0);
    CHECK(status_of("check" + c) == 0);
    CHECK(status_of("validate-config --no-such-option" + c) == 64);
    CHECK(status_of("check --hours x" + c) == 64);
    // No daemon serves the health endpoint (none configured): a health check answers 0 or 1.
    CHECK(status_of("health" + c) == 1);
    CHECK(status_of("health --config " + q((dir / "missing.yaml").string())) == 1);
    CHECK(status_of("validate-config --config " + q((dir / "missing.yaml").string())) == 78);
    {
      refusing_port port;
      temp_dir d2;
      CHECK(status_of("check --config " + q(write_config(d2, port.url(), {"555"}))) == 75);
    }
    {
      temp_dir d3;
      const auto c3 = " --config " + q(with_wrong_secret(write_config(d3, emu.url(), {"555"})));
      CHECK(status_of("check" + c3) == 78);
      // validate-config reads the secret but does not send it.
      CHECK(status_of("validate-config" + c3) == 0);
    }
    {  // a listen address that is not one: the daemon does not start
      temp_dir d4;
      const auto c4 =
          " --config " + q(write_config(d4, emu.url(), {"555"}, "", "listen: 'no-port'\n"));
      CHECK(status_of("run" + c4) == 78);
    }
  }

  TEST_CASE("exit codes of migrate") {
    temp_dir dir;
    const auto db = (dir / "lpda.db").string();
    const auto config = (dir / "config.yaml").string();
    // A config that loads without credentials from the environment, for the database `at`.
    const auto config_for = [](const std::string& at) {
      return "database: " + q(at) +
             "\naccounts:\n  - id: \"555\"\n    region: us\n"
             "    auth: {oauth1: {app_key: a, app_secret: b, access_token: c, "
             "access_token_secret: d}}\n";
    };
    write_file(config, config_for(db));
    const auto c = " --config " + q(config);

    CHECK(status_of("migrate --no-such-option" + c) == 64);
    CHECK(status_of("migrate extra" + c) == 64);
    CHECK(status_of("migrate --config " + q((dir / "missing.yaml").string())) == 78);
    {
      temp_dir d2;
      const auto bad = (d2 / "config.yaml").string();
      write_file(bad, config_for((d2 / "no-such-dir" / "lpda.db").string()));
      CHECK(status_of("migrate --config " + q(bad)) == 78);
    }
    {
      held_lock lock(db);
      CHECK(status_of("migrate" + c) == 75);
      // The dry run only reads: no lock.
      CHECK(status_of("migrate --dry-run" + c) == 0);
    }
    CHECK(status_of("migrate" + c) == 0);
    CHECK(status_of("migrate --dry-run" + c) == 0);
    make_newer(db);
    CHECK(status_of("migrate" + c) == 78);
    CHECK(status_of("migrate --dry-run" + c) == 78);
    {
      // A file SQLite cannot open as a database: an I/O failure, 75, and the file kept.
      temp_dir d3;
      const auto junk = (d3 / "lpda.db").string();
      write_file(junk, std::string(8192, 'x'));
      const auto c3 = (d3 / "config.yaml").string();
      write_file(c3, config_for(junk));
      CHECK(status_of("migrate --config " + q(c3)) == 75);
      CHECK(read_file(junk) == std::string(8192, 'x'));
    }
  }

  TEST_CASE("exit codes of decode") {
    temp_dir dir;
    write_file(dir / "other.json", "{\"hello\": 1}");
    write_file(dir / "empty.json", "");
    CHECK(status_of("decode " + q((dir / "empty.json").string())) == 0);
    CHECK(status_of("decode " + q((dir / "other.json").string())) == 65);
    CHECK(status_of("decode " + q((dir / "missing.json").string())) == 66);
    CHECK(status_of("decode") == 64);
    CHECK(status_of("decode --format xml " + q((dir / "empty.json").string())) == 64);
  }
}
