// Writes the store in this folder: a sealed segment and a log of format 6, what every build
// before format 7 wrote. Built against the headers of such a build (main at 7068b2b):
//
//   mkdir /tmp/format-6 && git archive 7068b2b include tests/mmap_test_support.hpp | tar -x -C /tmp/format-6
//   g++ -std=c++20 -O1 -I/tmp/format-6/include -I/tmp/format-6/tests tests/data/mmap-format-6/generate.cpp -o /tmp/generate
//   rm -rf /tmp/store && /tmp/generate /tmp/store && cp /tmp/store/*.seg /tmp/store/*.log tests/data/mmap-format-6/
//
// unit-mmap-store's "a store of format 6" reads it back against the same spans.

#include <cstdio>

#include "mmap_test_support.hpp"
#include "trace/store/mmap.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: generate DIR\n");
    return 64;
  }
  trace::mmap_options o;
  o.path = argv[1];
  o.segment_bytes = trace::min_segment_bytes;
  o.sync = trace::sync_policy::every_batch;
  trace::mmap_store store(o);
  store.append(test_support::make_batch(0, 4, 6));  // sealed below
  store.roll();
  auto log = test_support::make_batch(4, 3, 6);
  log.push_back(test_support::make_span(0, 6));  // a trace of the sealed segment, its parent there
  store.append(log);  // stays in the log
  store.sync();
  return 0;
}
