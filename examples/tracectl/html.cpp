// tracectl html: one trace as a self-contained waterfall page. Everything (style, script,
// data) is inline, so the page opens from a file with no network access. Bars are placed
// with percentages of the trace's time; once laid out, the script records each bar's pixel
// box in data attributes, so a headless browser's DOM shows where the bars were drawn.

#include <algorithm>
#include <cstdio>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include <trace/tree/trace_tree.hpp>

#include "commands.hpp"

namespace tracectl {

void write_output(const arguments& args, const std::string& text);  // export.cpp

namespace {

std::string escape(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string percent_of(double part, double whole) {
  char text[32];
  std::snprintf(text, sizeof text, "%.4f%%", whole > 0 ? part / whole * 100 : 0.0);
  return text;
}

// Colours by order of first appearance, so a trace's services are always told apart.
constexpr const char* service_colours[] = {"#4e79a7", "#f28e2b", "#59a14f", "#b07aa1",
                                           "#76b7b2", "#edc948", "#9c755f", "#ff9da7"};

std::string attribute_rows(const trace::attributes& items, std::string_view scope) {
  std::string out;
  for (const auto& item : items)
    out += "<tr><td>" + escape(scope) + "</td><td>" + escape(item.key) + "</td><td>" + escape(trace::to_string(item.value)) +
           "</td></tr>";
  return out;
}

constexpr std::string_view page_style = R"(
body{font:13px/1.4 system-ui,sans-serif;margin:16px;color:#222;background:#fff}
h1{font-size:16px;margin:0 0 4px}
.meta{color:#666;margin-bottom:8px}
.legend span{display:inline-block;margin-right:12px}
.legend i{display:inline-block;width:10px;height:10px;margin-right:4px;vertical-align:middle}
.waterfall{width:100%;border-collapse:collapse;table-layout:fixed}
.waterfall td{padding:2px 4px;border-bottom:1px solid #eee;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.waterfall td.label{width:34%}
.waterfall .logs{color:#777}
.waterfall td.duration{width:70px;text-align:right;color:#555}
.row{cursor:pointer}
.row:hover{background:#f5f7fa}
.track{position:relative;height:14px}
.bar{position:absolute;top:1px;height:12px;min-width:1px}
.bar.error{outline:2px solid #d62728;outline-offset:0}
.errmark{color:#d62728;font-weight:bold;margin-right:4px}
.details td{background:#fafafa;white-space:normal}
.details table,table.comments{border-collapse:collapse;margin:4px 0}
table.comments th,table.comments td{padding:1px 8px 1px 0;text-align:left;font-size:12px}
.details th,.details td td{padding:1px 8px 1px 0;text-align:left;font-size:12px}
)";

// Toggles a span's details on click; records every bar's drawn box for tests and tools.
constexpr std::string_view page_script = R"(
document.querySelectorAll('tr.row').forEach(function (row) {
  row.addEventListener('click', function () {
    var details = document.getElementById('details-' + row.dataset.span);
    details.hidden = !details.hidden;
  });
});
function measure() {
  document.querySelectorAll('.bar').forEach(function (bar) {
    var box = bar.getBoundingClientRect(), track = bar.parentElement.getBoundingClientRect();
    bar.dataset.leftPx = (box.left - track.left).toFixed(2);
    bar.dataset.widthPx = box.width.toFixed(2);
    bar.dataset.trackPx = track.width.toFixed(2);
    bar.dataset.pageX = box.left.toFixed(2);
    bar.dataset.pageY = box.top.toFixed(2);
  });
  document.body.dataset.rendered = 'yes';
}
measure();
window.addEventListener('resize', measure);
)";

// " (2 logs)" after a span's name when logs name it; they are listed in its details.
std::string logs_mark(const std::map<trace::span_id, std::vector<trace::log_record>>& span_logs, const trace::span_id& id) {
  auto found = span_logs.find(id);
  if (found == span_logs.end()) return {};
  return " <span class=\"logs\">(" + std::to_string(found->second.size()) + (found->second.size() == 1 ? " log)" : " logs)") + "</span>";
}

// " (1 comment)" after a span's name when comments are on it; they are listed in its details.
std::string comments_mark(const std::vector<trace::comment>& comments, const trace::span_id& id) {
  const auto count = std::count_if(comments.begin(), comments.end(), [&](const trace::comment& c) { return c.span == id; });
  if (count == 0) return {};
  return " <span class=\"logs\">(" + std::to_string(count) + (count == 1 ? " comment)" : " comments)") + "</span>";
}

// The comments on `on` (the trace's own when `on` is invalid), one row each; empty when none.
std::string comment_table(const std::vector<trace::comment>& comments, const trace::span_id& on) {
  std::string rows;
  for (const trace::comment& c : comments)
    if (c.span == on)
      rows += "<tr><td>#" + std::to_string(c.id) + "</td><td>" + escape(c.author) + "</td><td>" + format_time(c.created) +
              (c.edited != 0 ? " (edited)" : "") + "</td><td>" + escape(c.text) + "</td></tr>";
  if (rows.empty()) return {};
  return "<table class=\"comments\"><tr><th>comment</th><th>author</th><th>at</th><th>text</th></tr>" + rows + "</table>\n";
}

}  // namespace

int run_html(const arguments& args) {
  if (args.positional.size() != 1) throw usage_error("html needs exactly one trace ID");
  const trace::trace_id id = parse_trace_id_argument(args.positional[0]);
  const trace::mmap_store store = open_store(args);
  std::vector<trace::span> spans;
  for (const trace::mmap_span& s : store.find_trace(id)) spans.push_back(s.materialize());
  if (spans.empty()) {
    std::fprintf(stderr, "tracectl html: no trace %s in %s\n", id.to_hex().c_str(), store.options().path.c_str());
    return exit_not_found;
  }
  const auto tree = trace::build_tree(spans);
  const auto span_logs = logs_by_span(args, id);
  const auto comments = comments_of(args, id, false);
  trace::timestamp_ns first = std::numeric_limits<trace::timestamp_ns>::max(), last = 0;
  for (const auto& s : spans) {
    first = std::min(first, s.start);
    last = std::max(last, s.end);
  }
  const double total = static_cast<double>(last - first);
  std::map<std::string, std::string> colour_of;
  std::vector<std::string> service_order;
  tree.depth_first([&](std::size_t i, std::uint32_t) {
    const std::string& service = tree.span_at(i).resource.service_name;
    if (colour_of.emplace(service, service_colours[colour_of.size() % std::size(service_colours)]).second)
      service_order.push_back(service);
  });

  std::string root_name;
  if (!tree.roots().empty()) root_name = tree.span_at(tree.roots().front()).name;
  std::size_t errors = 0;
  for (const auto& s : spans) errors += s.status.code == trace::status_code::error ? 1 : 0;

  std::string page = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>trace " + id.to_hex() +
                     "</title>\n<style>" + std::string(page_style) + "</style></head>\n<body>\n";
  page += "<h1>" + escape(root_name) + "</h1>\n<div class=\"meta\">trace " + id.to_hex() + " &middot; " +
          format_time(first) + " &middot; " + trace::format_duration(last - first) + " &middot; " +
          std::to_string(spans.size()) + " spans &middot; " + std::to_string(errors) + " errors</div>\n";
  page += "<div class=\"legend\">";
  for (const auto& service : service_order)
    page += "<span><i style=\"background:" + colour_of[service] + "\"></i>" + escape(service) + "</span>";
  page += "</div>\n" + comment_table(comments, trace::span_id{}) + "<table class=\"waterfall\"><tbody>\n";
  tree.depth_first([&](std::size_t i, std::uint32_t depth) {
    const trace::span& s = tree.span_at(i);
    const bool failed = s.status.code == trace::status_code::error;
    const std::string span_hex = s.id.to_hex();
    const std::string& colour = colour_of[s.resource.service_name];
    page += "<tr class=\"row\" data-span=\"" + span_hex + "\"><td class=\"label\" style=\"padding-left:" +
            std::to_string(4 + 16 * (depth > 0 ? depth - 1 : 0)) + "px\">" +
            (failed ? "<span class=\"errmark\" title=\"error\">!</span>" : "") + "<span style=\"color:" + colour +
            "\">&#9632;</span> " + escape(s.resource.service_name) + ": " + escape(s.name) + logs_mark(span_logs, s.id) + comments_mark(comments, s.id) + "</td>";
    page += "<td><div class=\"track\"><div class=\"bar" + std::string(failed ? " error" : "") +
            "\" data-span=\"" + span_hex + "\" data-service=\"" + escape(s.resource.service_name) +
            "\" data-colour=\"" + colour + "\" data-start-ns=\"" + std::to_string(s.start - first) +
            "\" data-duration-ns=\"" + std::to_string(s.duration()) + "\" style=\"left:" +
            percent_of(static_cast<double>(s.start - first), total) +
            ";width:" + percent_of(static_cast<double>(s.duration()), total) + ";background:" + colour +
            "\"></div></div></td><td class=\"duration\">" + trace::format_duration(s.duration()) + "</td></tr>\n";
    std::string details = "<table><tr><th>span</th><td>" + span_hex + (s.parent.valid() ? " (parent " + s.parent.to_hex() + ")" : "") +
                          "</td></tr><tr><th>kind</th><td>" + std::string(trace::to_string(s.kind)) +
                          "</td></tr><tr><th>start</th><td>" + format_time(s.start) + " (+" +
                          trace::format_duration(s.start - first) + ")</td></tr><tr><th>status</th><td>" +
                          std::string(trace::to_string(s.status.code)) +
                          (s.status.message.empty() ? "" : ": " + escape(s.status.message)) + "</td></tr></table>";
    const std::string rows = attribute_rows(s.attributes, "span") + attribute_rows(s.resource.attributes, "resource");
    if (!rows.empty()) details += "<table><tr><th>scope</th><th>attribute</th><th>value</th></tr>" + rows + "</table>";
    if (!s.events.empty()) {
      details += "<table><tr><th>at</th><th>event</th><th>attributes</th></tr>";
      for (const auto& e : s.events) {
        std::string attributes;
        for (const auto& item : e.attributes) attributes += escape(item.key) + "=" + escape(trace::to_string(item.value)) + " ";
        details += "<tr><td>+" + trace::format_duration(e.time >= s.start ? e.time - s.start : 0) + "</td><td>" +
                   escape(e.name) + "</td><td>" + attributes + "</td></tr>";
      }
      details += "</table>";
    }
    if (auto found = span_logs.find(s.id); found != span_logs.end()) {
      details += "<table><tr><th>at</th><th>log</th><th>message</th></tr>";
      for (const trace::log_record& r : found->second)
        details += "<tr><td>" + (r.time >= s.start ? "+" + trace::format_duration(r.time - s.start) : format_time(r.time)) +
                   "</td><td>" + std::string(trace::log_severity_name(r.severity)) + "</td><td>" + escape(r.body) + "</td></tr>";
      details += "</table>";
    }
    details += comment_table(comments, s.id);
    page += "<tr class=\"details\" id=\"details-" + span_hex + "\" hidden><td colspan=\"3\">" + details + "</td></tr>\n";
  });
  page += "</tbody></table>\n<script>" + std::string(page_script) + "</script>\n</body></html>\n";
  write_output(args, page);
  return exit_ok;
}

}  // namespace tracectl
