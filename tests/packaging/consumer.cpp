// The program every package-manager test builds against an installed trace (Conan's
// test_package, the vcpkg ports, pkg-config): it stores a span, rebuilds its tree, and checks
// that the headers it got are the version and carry the optional parts the package manager
// was asked for. EXPECTED_VERSION, EXPECTED_GZIP and EXPECTED_BOOST_JSON come from the build.
// Single headers rather than <trace/trace.hpp>: the umbrella would triple these builds' time.
#include <trace/net/gzip.hpp>
#include <trace/store/memory.hpp>
#include <trace/tree.hpp>
#include <trace/version.hpp>

#if EXPECTED_BOOST_JSON
#include <trace/io/boost_json.hpp>
#endif

#include <cstring>
#include <iostream>

namespace {

int fail(const char* what) {
  std::cerr << "trace consumer: " << what << "\n";
  return 1;
}

}  // namespace

int main() {
  if (std::strcmp(TRACE_VERSION_STRING, EXPECTED_VERSION) != 0)
    return fail("trace/version.hpp is not the version the package manager installed");

  trace::memory_store store;
  trace::span root;
  root.trace = trace::trace_id::parse("4bf92f3577b34da6a3ce929d0e0e4736");
  root.id = trace::span_id::parse("00f067aa0ba902b7");
  root.name = "installed";
  root.resource.service_name = "consumer";
  root.end = 42;
  store.append(root);
  const auto tree = trace::build_tree(store.find_trace(root.trace));
  if (store.size() != 1 || tree.roots().size() != 1) return fail("the stored span did not come back as one tree");

  if (trace::net::gzip_available != bool(EXPECTED_GZIP)) return fail("gzip availability differs from the package's option");
#if EXPECTED_GZIP
  const std::string packed = trace::net::gzip_compress("installed");
  if (packed.size() < 18 || packed[0] != '\x1f' || packed[1] != '\x8b') return fail("gzip output has no gzip header");
#endif
#if EXPECTED_BOOST_JSON
  if (trace::json::parse_with_boost(R"({"spans":[1,2]})").get_if<trace::json::object>() == nullptr)
    return fail("Boost.JSON adapter did not parse an object");
#endif

  std::cout << "trace " << TRACE_VERSION_STRING << " (gzip " << (trace::net::gzip_available ? "on" : "off")
            << ", Boost.JSON " << (EXPECTED_BOOST_JSON ? "on" : "off") << ")\n"
            << trace::render_text(tree);
  return 0;
}
