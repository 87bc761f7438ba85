#pragma once
// The subcommands, one function each; main.cpp holds their help texts and options.

#include "cli.hpp"

namespace tracectl {

int run_import(const arguments& args);
int run_trace(const arguments& args);
int run_spans(const arguments& args);
int run_search(const arguments& args);
int run_services(const arguments& args);
int run_operations(const arguments& args);
int run_stats(const arguments& args);
int run_anomalies(const arguments& args);
int run_export(const arguments& args);
int run_html(const arguments& args);
int run_check(const arguments& args);
int run_retention(const arguments& args);
int run_snapshot(const arguments& args);
int run_compact(const arguments& args);
int run_repair(const arguments& args);

}  // namespace tracectl
