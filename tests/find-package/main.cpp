#include <trace/trace.hpp>

#include <iostream>

int main() {
  trace::memory_store store;
  trace::span root;
  root.trace = trace::trace_id::parse("4bf92f3577b34da6a3ce929d0e0e4736");
  root.id = trace::span_id::parse("00f067aa0ba902b7");
  root.name = "consumer";
  root.resource.service_name = "find-package";
  root.end = 42;
  store.append(root);
  auto tree = trace::build_tree(store.find_trace(root.trace));
  std::cout << trace::render_text(tree);
  return store.size() == 1 && tree.roots().size() == 1 ? 0 : 1;
}
