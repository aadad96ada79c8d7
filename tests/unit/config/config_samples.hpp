#pragma once
// Configurations the config and composition-root tests load.
#include "lpda/config/config.hpp"
#include "test_support.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <string>
#include <string_view>

namespace lpda::test {

/// YAML text written in the test with a leading newline, so the line after `R"(` is line 1.
inline std::string yaml(std::string_view text) {
  if (!text.empty() && text.front() == '\n') text.remove_prefix(1);
  return std::string(text);
}

/// An environment with no variables.
inline const config::environment& no_env() {
  static const config::environment env = config::environment::from_map({});
  return env;
}

/// The smallest valid configuration: a database and one OAuth 1.0a account.
inline const std::string minimal_config = yaml(R"(
database: /tmp/lpda-test.db
accounts:
  - id: "12345678"
    region: us
    auth:
      oauth1: {app_key: k1, app_secret: s1, access_token: t1, access_token_secret: ts1}
)");

/// The example's text with its systemd credential directory and its database pointing into
/// `dir`, where the two credential files it names are written.
inline std::string example_config_in(const temp_dir& dir, const std::filesystem::path& example) {
  write_file(dir / "client_id", "example-client-id\n");
  write_file(dir / "client_secret", "example-client-secret\n");
  std::string text = read_file(example);
  // The example points at systemd's credential directory; point it at the test's files.
  const std::string cred_dir = "/run/credentials/lpda-sync.service";
  for (auto pos = text.find(cred_dir); pos != std::string::npos; pos = text.find(cred_dir)) {
    text.replace(pos, cred_dir.size(), dir.path().string());
  }
  // And its database at the test's directory: the database's directory must exist.
  const std::string db = "/var/lib/lpda-sync/lpda.db";
  REQUIRE(text.find(db) != std::string::npos);
  text.replace(text.find(db), db.size(), (dir / "lpda.db").string());
  return text;
}

}  // namespace lpda::test
