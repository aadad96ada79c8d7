#include "envelope_handler.hpp"

#include "lpda/decode/document_reader.hpp"

#include <cmath>
#include <utility>

namespace lpda::decode::detail {
namespace {

// Avro JSON encoding: a non-null union value is {"<branch>": value}; the branch is a primitive
// type name, "array", "map", or a named type's full name (LivePerson's are com.liveperson.*).
bool is_union_branch(std::string_view k) {
  if (k.empty()) return false;
  switch (k[0]) {  // called for the first key of every object: keep it cheap
    case 's':
      return k == "string";
    case 'l':
      return k == "long";
    case 'i':
      return k == "int";
    case 'b':
      return k == "boolean" || k == "bytes";
    case 'd':
      return k == "double";
    case 'f':
      return k == "float";
    case 'a':
      return k == "array";
    case 'm':
      return k == "map";
    case 'c':
      return k.starts_with("com.liveperson.");
    default:
      return false;
  }
}

}  // namespace

void envelope_handler::begin_document() {
  has_envelope_ = false;
  depth_ = 0;
  skip_depth_ = 0;
  failure_.reset();
  mapping_.begin_document();
}

bool envelope_handler::fail(errc code, std::string what) {
  failure_ = error{code, std::move(what)};
  return false;
}

std::string envelope_handler::expected(node n) const {
  switch (kind_of(n)) {
    case node_kind::object:
      return "an object";
    case node_kind::array:
      return "an array";
    default:
      return std::string(nodes_[n].expected);
  }
}

std::string envelope_handler::path(std::size_t frames) const {
  std::string p = "$";
  for (std::size_t i = 0; i < frames; ++i) {
    const frame& f = frames_[i];
    if (f.kind == frame_kind::object) {
      p += '.';
      p += f.key;
    } else if (f.kind == frame_kind::array) {
      p += '[';
      p += std::to_string(f.index);
      p += ']';
    }
  }
  return p;
}

node envelope_handler::value_node() const {
  if (depth_ == 0) return root;
  const frame& f = frames_[depth_ - 1];
  switch (f.kind) {
    case frame_kind::object:
      return f.child;
    case frame_kind::wrapper:
      return f.where;
    case frame_kind::array:
      return f.where == collection ? record_ : nodes_[f.where].item;
    default:
      return skip;  // the parser never sends a value here
  }
}

void envelope_handler::value_done() {
  if (depth_ == 0) return;
  frame& f = frames_[depth_ - 1];
  if (f.kind == frame_kind::wrapper)
    f.kind = frame_kind::wrapper_done;
  else if (f.kind == frame_kind::array)
    ++f.index;
}

bool envelope_handler::too_deep() {
  return fail(errc::malformed_json, "nesting deeper than " + std::to_string(max_depth) + " levels");
}

bool envelope_handler::push(frame_kind k, node n) {
  if (depth_ + skip_depth_ >= max_depth) return too_deep();
  if (frames_.size() == depth_) frames_.emplace_back();
  frame& f = frames_[depth_++];
  f.kind = k;
  f.where = n;
  f.child = skip;
  f.index = 0;
  f.key.clear();
  return true;
}

bool envelope_handler::value(const scalar& v) {
  if (skip_depth_ > 0) return true;
  const node n = value_node();
  if (n != skip) {
    if (kind_of(n) != node_kind::scalar) {
      // A null record, object or array: nothing in it. The document itself must be an object.
      if (v.k != scalar::kind::null || n == root) return bad_value(wrong_type(expected(n), v));
    } else if (auto refused = mapping_.assign(n, v)) {
      return bad_value(std::move(*refused));
    }
  }
  value_done();
  return true;
}

bool envelope_handler::Null() {
  return value(scalar{scalar::kind::null, 0, 0, {}});
}
bool envelope_handler::Bool(bool) {
  return value(scalar{scalar::kind::boolean, 0, 0, {}});
}

bool envelope_handler::Uint64(std::uint64_t u) {
  if (u > static_cast<std::uint64_t>(INT64_MAX))
    return value(scalar{scalar::kind::too_big, 0, 0, {}});
  return integer(static_cast<std::int64_t>(u));
}

bool envelope_handler::Double(double d) {
  // RapidJSON reports numbers with a fraction or exponent, and integers beyond uint64, as double.
  // Integral values are accepted while a double holds them exactly (|d| <= 2^53); beyond that an
  // overflowing integer literal such as -9223372036854775809 would round into range.
  constexpr double two_53 = 9007199254740992.0;
  if (std::isfinite(d) && std::trunc(d) == d) {
    if (std::fabs(d) <= two_53) return integer(static_cast<std::int64_t>(d));
    constexpr double two_63 = 9223372036854775808.0;
    return value(
        scalar{std::fabs(d) >= two_63 ? scalar::kind::too_big : scalar::kind::inexact, 0, d, {}});
  }
  return value(scalar{scalar::kind::fraction, 0, d, {}});
}

bool envelope_handler::String(const char* s, rapidjson::SizeType len, bool) {
  return value(scalar{scalar::kind::string, 0, 0, std::string_view(s, len)});
}

bool envelope_handler::StartObject() {
  if (skip_depth_ == 0) {
    const node n = value_node();
    if (n != skip) return push(frame_kind::pending, n);
  }
  if (depth_ + skip_depth_ >= max_depth) return too_deep();
  ++skip_depth_;
  return true;
}

bool envelope_handler::Key(const char* s, rapidjson::SizeType len, bool) {
  if (skip_depth_ > 0) return true;
  frame& f = frames_[depth_ - 1];
  const std::string_view key(s, len);
  switch (f.kind) {
    case frame_kind::pending:
      if (is_union_branch(key)) {
        f.kind = frame_kind::wrapper;
        return true;
      }
      if (kind_of(f.where) != node_kind::object) {
        return bad_value("expected " + expected(f.where) + ", got an object with key \"" +
                         std::string(key) + "\"");
      }
      f.kind = frame_kind::object;
      if (f.where != root) mapping_.begin_object(f.where);
      [[fallthrough]];
    case frame_kind::object:
      if (f.where == root) {
        f.child = iequals(key, "recordCollection") ? collection : skip;
        // The Data Access envelope: `recordCollection`, or its siblings `dataType` / `metaData`
        // (a document of an hour without records may carry only those).
        if (f.child == collection || iequals(key, "dataType") || iequals(key, "metaData"))
          has_envelope_ = true;
      } else {
        f.child = mapping_.child(f.where, key);
      }
      // The key is only needed for error paths, and no error is raised inside a skipped value.
      if (f.child != skip) f.key.assign(key);
      return true;
    case frame_kind::wrapper_done:
      return bad_value(
          "a union value must be an object with exactly one key; found a second key \"" +
          std::string(key) + "\"");
    default:
      return fail(errc::malformed_json, "unexpected key");
  }
}

bool envelope_handler::EndObject(rapidjson::SizeType) {
  if (skip_depth_ > 0) {
    if (--skip_depth_ == 0) value_done();
    return true;
  }
  frame& f = frames_[depth_ - 1];
  const node n = f.where;
  // The frame of the object being closed is still on the stack: its path is path(depth_ - 1).
  switch (f.kind) {
    case frame_kind::pending:  // {}
      if (kind_of(n) != node_kind::object) return bad_value("expected " + expected(n) + ", got {}");
      if (n != root) {
        mapping_.begin_object(n);
        if (auto refused = mapping_.end_object(n))
          return fail(errc::bad_field, path(depth_ - 1) + *refused);
      }
      break;
    case frame_kind::object:
      if (n != root) {
        if (auto refused = mapping_.end_object(n))
          return fail(errc::bad_field, path(depth_ - 1) + *refused);
      }
      break;
    case frame_kind::wrapper_done:
      break;
    default:
      return fail(errc::malformed_json, "unexpected end of object");
  }
  --depth_;
  value_done();
  return true;
}

bool envelope_handler::StartArray() {
  if (skip_depth_ == 0) {
    const node n = value_node();
    if (n != skip) {
      if (kind_of(n) != node_kind::array)
        return bad_value("expected " + expected(n) + ", got an array");
      if (n != collection) mapping_.begin_array(n);
      return push(frame_kind::array, n);
    }
  }
  if (depth_ + skip_depth_ >= max_depth) return too_deep();
  ++skip_depth_;
  return true;
}

bool envelope_handler::EndArray(rapidjson::SizeType) {
  if (skip_depth_ > 0) {
    if (--skip_depth_ == 0) value_done();
    return true;
  }
  --depth_;
  value_done();
  return true;
}

}  // namespace lpda::decode::detail
