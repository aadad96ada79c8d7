#pragma once
// RapidJSON SAX handler of the document framing layer: it finds the Data Access envelope's
// `recordCollection`, unwraps Avro-JSON unions wherever they appear, skips what the data type's
// mapping does not name and hands the rest to the mapping, without building a DOM. A small stack
// of frames (one per object or array being read) gives each value its node and its JSON path.
#include "lpda/core/error.hpp"
#include "lpda/decode/record_mapping.hpp"

#include <rapidjson/reader.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace lpda::decode::detail {

class envelope_handler {
 public:
  explicit envelope_handler(record_mapping& mapping)
      : mapping_(mapping), nodes_(mapping.nodes()), record_(mapping.record()) {}

  void begin_document();
  /// The failure that stopped the parser (handler returned false), if any.
  const std::optional<error>& failure() const { return failure_; }
  /// The current document has the Data Access envelope: a top-level `recordCollection`,
  /// `dataType` or `metaData`.
  bool has_envelope() const { return has_envelope_; }

  // RapidJSON handler concept.
  bool Null();
  bool Bool(bool b);
  bool Int(int i) { return integer(i); }
  bool Uint(unsigned u) { return integer(u); }
  bool Int64(std::int64_t i) { return integer(i); }
  bool Uint64(std::uint64_t u);
  bool Double(double d);
  bool RawNumber(const char*, rapidjson::SizeType, bool) { return true; }  // not enabled
  bool String(const char* s, rapidjson::SizeType len, bool copy);
  bool StartObject();
  bool Key(const char* s, rapidjson::SizeType len, bool copy);
  bool EndObject(rapidjson::SizeType);
  bool StartArray();
  bool EndArray(rapidjson::SizeType);

 private:
  // The framing layer's own nodes: the document and its recordCollection.
  static constexpr node root = 0xFFFE;
  static constexpr node collection = 0xFFFD;

  enum class frame_kind : std::uint8_t { pending, object, wrapper, wrapper_done, array };
  struct frame {
    frame_kind kind = frame_kind::pending;
    node where = skip;        // the node this object/array fills
    node child = skip;        // object: node of the current key's value
    std::uint32_t index = 0;  // array: index of the current item
    std::string key;          // object: current key as written (for error paths)
  };

  node_kind kind_of(node n) const {
    if (n == root) return node_kind::object;
    if (n == collection) return node_kind::array;
    return nodes_[n].kind;
  }
  std::string expected(node n) const;
  bool integer(std::int64_t i) { return value(scalar{scalar::kind::integer, i, 0, {}}); }
  node value_node() const;
  bool value(const scalar& v);
  void value_done();
  bool push(frame_kind k, node n);
  bool too_deep();
  std::string path(std::size_t frames) const;
  bool fail(errc code, std::string what);
  bool bad_value(std::string reason) { return fail(errc::bad_field, path(depth_) + ": " + reason); }

  record_mapping& mapping_;
  std::span<const node_info> nodes_;
  node record_;
  std::vector<frame> frames_;  // frames_[0, depth_) are live; capacity (and key buffers) reused
  std::size_t depth_ = 0;
  std::size_t skip_depth_ = 0;  // > 0 while inside a value nobody reads
  std::optional<error> failure_;
  bool has_envelope_ = false;
};

}  // namespace lpda::decode::detail
