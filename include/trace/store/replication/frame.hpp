#pragma once
// One unit of the replication stream, on the wire and in the primary's replication log:
// a 24-byte header (checksum, payload length, type, batch sequence) and a payload. The
// layout is specified in docs/FORMAT.md ("The replication stream").

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "trace/core/error.hpp"
#include "trace/store/mmap/crc32c.hpp"

namespace trace {
inline namespace v0 {
namespace replication {

enum class frame_type : std::uint8_t {
  batch = 1,    // primary → replica: one committed batch (payload: batch_codec.hpp)
  hello = 2,    // primary → replica, first: sequence = the primary's last batch, payload = protocol name
  applied = 3,  // replica → primary: sequence = the last batch it applied durably (answer to hello and to each batch)
  reseed = 4,   // primary → replica: sequence = the oldest batch the primary still holds; payload = why
};

inline constexpr std::size_t frame_header_size = 24;
// A larger length is damage (or a peer speaking another protocol), refused before allocating.
inline constexpr std::uint32_t max_frame_payload = 256u << 20;
inline constexpr std::string_view protocol_name = "trace-replication/1";

struct frame {
  frame_type type = frame_type::batch;
  std::uint64_t sequence = 0;
  std::string payload;
};

namespace detail {
inline void store_le(char* at, std::uint64_t value, int bytes) noexcept {
  for (int i = 0; i < bytes; ++i) at[i] = static_cast<char>(value >> (8 * i));
}
inline std::uint64_t load_le(const char* at, int bytes) noexcept {
  std::uint64_t value = 0;
  for (int i = 0; i < bytes; ++i) value |= std::uint64_t{static_cast<unsigned char>(at[i])} << (8 * i);
  return value;
}
inline std::uint32_t frame_crc(const char* header, std::string_view payload) noexcept {
  return mask_crc(crc32c_extend(crc32c(header + 4, frame_header_size - 4), payload.data(), payload.size()));
}
}  // namespace detail

// Appends the frame's bytes to `out`.
inline void encode_frame(std::string& out, frame_type type, std::uint64_t sequence, std::string_view payload) {
  if (payload.size() > max_frame_payload)
    throw error(errc::invalid_argument, "replication frame payload of " + std::to_string(payload.size()) +
                                            " bytes is over the limit of " + std::to_string(max_frame_payload));
  char header[frame_header_size] = {};
  detail::store_le(header + 4, payload.size(), 4);
  header[8] = static_cast<char>(type);
  detail::store_le(header + 16, sequence, 8);
  detail::store_le(header, detail::frame_crc(header, payload), 4);
  out.append(header, frame_header_size);
  out.append(payload);
}
inline std::string encode_frame(frame_type type, std::uint64_t sequence, std::string_view payload = {}) {
  std::string out;
  encode_frame(out, type, sequence, payload);
  return out;
}

// What a frame header says, once its fields are checked (the checksum needs the payload).
struct frame_header {
  frame_type type;
  std::uint32_t length;
  std::uint64_t sequence;
  std::uint32_t crc;
};

// Reads a 24-byte header; `where` names the stream or file and offset for the error.
inline frame_header parse_frame_header(const char* bytes, const std::string& where) {
  const auto type = static_cast<std::uint8_t>(bytes[8]);
  const auto length = static_cast<std::uint32_t>(detail::load_le(bytes + 4, 4));
  if (type < 1 || type > 4) throw error(errc::corrupt_data, where + ": unknown replication frame type " + std::to_string(type));
  for (int i = 9; i < 16; ++i)
    if (bytes[i] != 0) throw error(errc::corrupt_data, where + ": replication frame header has non-zero reserved bytes");
  if (length > max_frame_payload)
    throw error(errc::corrupt_data, where + ": replication frame length " + std::to_string(length) + " is over the limit of " +
                                        std::to_string(max_frame_payload));
  return {static_cast<frame_type>(type), length, detail::load_le(bytes + 16, 8),
          static_cast<std::uint32_t>(detail::load_le(bytes, 4))};
}

// Checks the payload against the header's checksum.
inline void check_frame(const char* header_bytes, const frame_header& header, std::string_view payload,
                        const std::string& where) {
  if (detail::frame_crc(header_bytes, payload) != header.crc)
    throw error(errc::corrupt_data, where + ": replication frame " + std::to_string(header.sequence) + " fails its checksum");
}

// Decodes one whole frame held in `bytes` (exactly one frame), as tests and tools need.
inline frame decode_frame(std::string_view bytes, const std::string& where) {
  if (bytes.size() < frame_header_size)
    throw error(errc::corrupt_data, where + ": replication frame of " + std::to_string(bytes.size()) + " bytes is shorter than its header");
  const frame_header h = parse_frame_header(bytes.data(), where);
  if (bytes.size() != frame_header_size + h.length)
    throw error(errc::corrupt_data, where + ": replication frame says " + std::to_string(h.length) + " payload bytes, holds " +
                                        std::to_string(bytes.size() - frame_header_size));
  std::string_view payload = bytes.substr(frame_header_size);
  check_frame(bytes.data(), h, payload, where);
  return {h.type, h.sequence, std::string(payload)};
}

}  // namespace replication
}  // namespace v0
}  // namespace trace
