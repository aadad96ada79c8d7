#include "loader.hpp"
#include "urls.hpp"

#include "lpda/config/units.hpp"
#include "lpda/core/host.hpp"

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace lpda::config::detail {

namespace {

constexpr std::uint64_t max_secret_file_bytes = 64 * 1024;

// "user NAME (uid N)" for a uid, or "uid N" when it has no passwd entry (a systemd dynamic user
// seen from outside its service).
std::string user_name(uid_t uid) {
  const passwd* pw = ::getpwuid(uid);
  const std::string id = "uid " + std::to_string(uid);
  return pw != nullptr ? "user " + std::string(pw->pw_name) + " (" + id + ")" : id;
}

// Why `path` cannot be opened for reading, in words that say what to do: missing (with the
// systemd credential case), or not readable by this process's user (with the file's owner and
// mode), or the OS's reason.
std::string why_unreadable(const std::string& path, int err) {
  if (err == ENOENT) {
    std::string why = "no such file";
    if (path.rfind("/run/credentials/", 0) == 0)
      why +=
          " (systemd credentials exist only inside the service; from a shell, check with "
          "validate-config --no-secrets)";
    return why;
  }
  if (err == EACCES) {
    std::string why = "permission denied: lpda-sync runs as " + user_name(::geteuid());
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0) {
      char mode[8];
      std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
      why += ", the file is mode " + std::string(mode) + " owned by " + user_name(st.st_uid);
    }
    return why;
  }
  return std::strerror(err);
}

}  // namespace

std::optional<std::string> loader::secret(const map_view& m, std::string_view key, bool required,
                                          std::map<std::string, std::string>& origins) {
  const std::string file_key = std::string(key) + "_file";
  const auto inline_node = m.get(key);
  const auto file_node = m.get(file_key);
  if (inline_node && file_node) {
    error_at(*m.key_node(file_key), m.child(file_key),
             "give either " + std::string(key) + " or " + file_key + ", not both");
    return std::nullopt;
  }
  if (!inline_node && !file_node) {
    if (required) {
      error_at(m.node(), m.child(key),
               "missing: give " + std::string(key) + " (inline or ${ENV_VAR}) or " + file_key);
    }
    return std::nullopt;
  }
  if (file_node) {
    const std::string path = m.child(file_key);
    auto p = string_value(*file_node, path);
    if (!p) return std::nullopt;
    if (p->empty()) {
      error_at(*file_node, path, "must name a file");
      return std::nullopt;
    }
    origins[std::string(key)] = "file:" + *p;
    if (mode_ == secrets::syntax_only) return *p;
    std::error_code ec;
    if (std::filesystem::is_directory(*p, ec)) {
      error_at(*file_node, path, "cannot read " + file_key + " " + in_quotes(*p) + ": a directory");
      return std::nullopt;
    }
    std::ifstream in(*p, std::ios::binary);
    if (!in) {
      // ifstream keeps no reason; open(2) tells missing from unreadable.
      const int fd = ::open(p->c_str(), O_RDONLY | O_CLOEXEC);
      const int err = fd < 0 ? errno : EIO;
      if (fd >= 0) ::close(fd);
      error_at(*file_node, path,
               "cannot read " + file_key + " " + in_quotes(*p) + ": " + why_unreadable(*p, err));
      return std::nullopt;
    }
    // Read at most a few bytes past the limit (room for a newline), so /dev/zero or a huge file
    // cannot hang start-up.
    std::string content(max_secret_file_bytes + 3, '\0');
    in.read(content.data(), static_cast<std::streamsize>(content.size()));
    if (in.bad()) {
      error_at(*file_node, path, "cannot read " + file_key + " " + in_quotes(*p));
      return std::nullopt;
    }
    content.resize(static_cast<std::size_t>(in.gcount()));
    if (!content.empty() && content.back() == '\n') {
      content.pop_back();
      if (!content.empty() && content.back() == '\r') content.pop_back();
    }
    if (content.size() > max_secret_file_bytes) {
      error_at(
          *file_node, path,
          file_key + " " + in_quotes(*p) + " is larger than " + format_size(max_secret_file_bytes));
      return std::nullopt;
    }
    if (content.empty()) {
      error_at(*file_node, path,
               "cannot read " + file_key + " " + in_quotes(*p) +
                   ": the file is empty (write the secret into it, without quotes)");
      return std::nullopt;
    }
    return content;
  }
  const std::string path = m.child(key);
  if (!inline_node->IsScalar()) {
    error_at(*inline_node, path, "expected a string, got " + std::string(kind_name(*inline_node)));
    return std::nullopt;
  }
  const std::string& v = inline_node->Scalar();
  if (v.size() >= 2 && v[0] == '$' && v[1] == '{') {
    const bool closed = v.back() == '}';
    const std::string name = closed ? v.substr(2, v.size() - 3) : std::string();
    const bool valid_name =
        !name.empty() && !(name[0] >= '0' && name[0] <= '9') &&
        std::all_of(name.begin(), name.end(), [](char c) { return is_alnum(c) || c == '_'; });
    if (!closed || !valid_name) {
      error_at(*inline_node, path,
               "starts with \"${\" but is not a ${NAME} reference (NAME: letters, digits, _); "
               "put a literal value in " +
                   file_key);
      return std::nullopt;
    }
    origins[std::string(key)] = "env:" + name;
    if (mode_ == secrets::syntax_only) return v;
    auto value = env_.get(name);
    if (!value) {
      error_at(*inline_node, path, "environment variable " + name + " is not set");
      return std::nullopt;
    }
    if (value->empty()) {
      error_at(*inline_node, path, "environment variable " + name + " is empty");
      return std::nullopt;
    }
    return value;
  }
  if (v.empty()) {
    error_at(*inline_node, path, "must not be empty");
    return std::nullopt;
  }
  if (v == redacted_placeholder) {
    // Text from `validate-config --print` used as a config: it would only fail at the API as
    // a 401.
    error_at(*inline_node, path,
             "is the placeholder \"***\" that validate-config --print shows for a literal "
             "secret: replace *** with the secret (or use " +
                 file_key + " or ${ENV_VAR})");
    return std::nullopt;
  }
  origins[std::string(key)] = "inline";
  return v;
}

void loader::load_auth(const map_view& a, account& acc, const config& c, bool& ok) {
  const auto n = a.get("auth");
  if (!n) {
    error_at(a.node(), a.child("auth"), "missing: give auth with oauth1 or oauth2");
    ok = false;
    return;
  }
  const map_view auth(*this, *n, a.child("auth"), {"oauth1", "oauth2"});
  if (!auth.ok()) {
    ok = false;
    return;
  }
  const auto o1 = auth.get("oauth1");
  const auto o2 = auth.get("oauth2");
  if (o1 && o2) {
    error_at(*auth.key_node("oauth2"), auth.child("oauth2"), "give exactly one of oauth1, oauth2");
    ok = false;
    return;
  }
  if (!o1 && !o2) {
    error_at(*n, auth.path(), "give exactly one of oauth1, oauth2");
    ok = false;
    return;
  }
  if (o1) {
    const map_view m(*this, *o1, auth.child("oauth1"),
                     {"app_key", "app_key_file", "app_secret", "app_secret_file", "access_token",
                      "access_token_file", "access_token_secret", "access_token_secret_file"});
    if (!m.ok()) {
      ok = false;
      return;
    }
    auto k = secret(m, "app_key", true, acc.credential_origins);
    auto s = secret(m, "app_secret", true, acc.credential_origins);
    auto t = secret(m, "access_token", true, acc.credential_origins);
    auto ts = secret(m, "access_token_secret", true, acc.credential_origins);
    if (!k || !s || !t || !ts) {
      ok = false;
      return;
    }
    acc.auth = oauth1_credentials{std::move(*k), std::move(*s), std::move(*t), std::move(*ts)};
    return;
  }
  const map_view m(*this, *o2, auth.child("oauth2"),
                   {"client_id", "client_id_file", "client_secret", "client_secret_file",
                    "token_url", "token_host", "csds_url", "client_auth", "scope"});
  if (!m.ok()) {
    ok = false;
    return;
  }
  oauth2_credentials cred;
  auto id = secret(m, "client_id", true, acc.credential_origins);
  auto s = secret(m, "client_secret", true, acc.credential_origins);
  if (const auto u = m.get("token_url")) {
    if (auto url = string_value(*u, m.child("token_url"))) {
      check_http_url(*u, m.child("token_url"), *url, c, true, ok);
      cred.token_url = std::move(*url);
    } else {
      ok = false;
    }
    for (const std::string_view key : {"token_host", "csds_url"}) {
      if (const auto k = m.key_node(key)) {
        error_at(*k, m.child(key),
                 "token_url names the token endpoint itself; leave out token_host and csds_url");
        ok = false;
      }
    }
  }
  if (const auto v = m.get("token_host")) {
    // csds | region | a host; a host the secret may go to over https (sentinel.hpp's rule).
    if (auto h = string_value(*v, m.child("token_host"))) {
      if (*h == "csds") {
        cred.token_host = token_host_kind::csds;
      } else if (*h == "region") {
        cred.token_host = token_host_kind::region;
        if (!acc.region) {
          error_at(*v, m.child("token_host"),
                   "\"region\" needs the account's region (us, uk, apac); give token_host: csds "
                   "or a host instead");
          ok = false;
        }
      } else {
        const auto colon = h->rfind(':');
        const std::string name = colon == std::string::npos ? *h : h->substr(0, colon);
        const bool port_ok = colon == std::string::npos ||
                             parse_port(std::string_view(*h).substr(colon + 1)).value_or(0) != 0;
        constexpr std::string_view suffix = ".sentinel.liveperson.net";
        const bool sentinel = name.size() > suffix.size() && name.ends_with(suffix);
        if (!valid_hostname(name) || !port_ok) {
          error_at(*v, m.child("token_host"),
                   "expected csds, region or a host name such as va.sentinel.liveperson.net, "
                   "got " +
                       in_quotes(*h));
          ok = false;
        } else if (!sentinel && !is_loopback_host(name)) {
          error_at(*v, m.child("token_host"),
                   in_quotes(*h) +
                       " is not under .sentinel.liveperson.net; the client secret goes to no "
                       "other host unless you name the endpoint with token_url");
          ok = false;
        } else {
          cred.token_host = token_host_kind::host;
          cred.token_host_name = std::move(*h);
        }
      }
    } else {
      ok = false;
    }
  }
  if (const auto v = m.get("csds_url")) {
    if (auto url = string_value(*v, m.child("csds_url"))) {
      bool url_ok = true;
      check_http_url(*v, m.child("csds_url"), *url, c, false, url_ok);
      if (url_ok && cred.token_host != token_host_kind::csds) {
        error_at(*v, m.child("csds_url"), "is used only with token_host: csds");
        url_ok = false;
      }
      if (url_ok) {
        while (!url->empty() && url->back() == '/') url->pop_back();
        cred.csds_url = std::move(*url);
      } else {
        ok = false;
      }
    } else {
      ok = false;
    }
  }
  // LivePerson's sentinel takes the credentials in the form body; a token_url written before
  // the derived endpoint existed kept them in HTTP Basic, and still does.
  cred.auth = cred.token_url.empty() ? client_auth::body : client_auth::basic;
  optional_key(m, "client_auth", cred.auth, [&](const YAML::Node& v, const std::string& p) {
    return enum_value(v, p, client_auth_names);
  });
  optional_key(m, "scope", cred.scope,
               [&](const YAML::Node& v, const std::string& p) { return string_value(v, p); });
  if (!id || !s) {
    ok = false;
    return;
  }
  cred.client_id = std::move(*id);
  cred.client_secret = std::move(*s);
  acc.auth = std::move(cred);
}

}  // namespace lpda::config::detail
