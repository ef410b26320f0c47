#include "server/http/message.h"

#include "domain/base64.h"

namespace vigil {

std::string PercentDecode(std::string_view in, bool plus_is_space) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '%' && i + 2 < in.size()) {
      const int hi = HexValue(in[i + 1]), lo = HexValue(in[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(plus_is_space && c == '+' ? ' ' : c);
  }
  return out;
}

void ParseQuery(std::string_view query, httplib::Params* params) {
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    const size_t eq = pair.find('=');
    const std::string_view name = pair.substr(0, eq);
    const std::string_view value =
        eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    params->emplace(PercentDecode(name, true), PercentDecode(value, true));
  }
}

void FillRequest(const RequestHead& head, httplib::Request* req) {
  req->method = head.method;
  req->target = head.target;
  req->version = head.minor_version == 0 ? "HTTP/1.0" : "HTTP/1.1";
  const size_t q = head.target.find('?');
  req->path = PercentDecode(std::string_view(head.target).substr(0, q), false);
  if (q != std::string::npos) ParseQuery(std::string_view(head.target).substr(q + 1), &req->params);
  for (const HeaderField& f : head.fields) req->headers.emplace(f.name, f.value);
}

bool StatusHasNoBody(int status) { return status < 200 || status == 204 || status == 304; }

std::string SerializeResponseHead(
    const httplib::Response& res, const ResponseFraming& framing,
    const std::vector<std::pair<std::string, std::string>>& defaults) {
  std::string out =
      "HTTP/1.1 " + std::to_string(res.status) + " " + ReasonPhrase(res.status) + "\r\n";
  for (const auto& [name, value] : res.headers) {
    if (EqualsIgnoreCase(name, "Connection") || EqualsIgnoreCase(name, "Content-Length") ||
        EqualsIgnoreCase(name, "Transfer-Encoding")) {
      continue;
    }
    out += name + ": " + value + "\r\n";
  }
  for (const auto& [name, value] : defaults) {
    if (!res.has_header(name.c_str())) out += name + ": " + value + "\r\n";
  }
  if (framing.close) {
    out += "Connection: close\r\n";
  } else if (framing.http10) {
    out += "Connection: keep-alive\r\n";
  }
  if (!StatusHasNoBody(res.status)) {
    if (framing.chunked && !framing.http10) {
      out += "Transfer-Encoding: chunked\r\n";
    } else if (!framing.chunked) {
      out += "Content-Length: " + std::to_string(res.body.size()) + "\r\n";
    }
  }
  out += "\r\n";
  return out;
}

const char* ReasonPhrase(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 206:
      return "Partial Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 303:
      return "See Other";
    case 304:
      return "Not Modified";
    case 307:
      return "Temporary Redirect";
    case 308:
      return "Permanent Redirect";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 402:
      return "Payment Required";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 406:
      return "Not Acceptable";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 411:
      return "Length Required";
    case 412:
      return "Precondition Failed";
    case 413:
      return "Payload Too Large";
    case 414:
      return "URI Too Long";
    case 415:
      return "Unsupported Media Type";
    case 416:
      return "Range Not Satisfiable";
    case 417:
      return "Expectation Failed";
    case 421:
      return "Misdirected Request";
    case 422:
      return "Unprocessable Content";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    case 505:
      return "HTTP Version Not Supported";
    case 507:
      return "Insufficient Storage";
    default:
      return "";
  }
}

}  // namespace vigil
