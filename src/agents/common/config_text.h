// Small pieces the inputs' configuration code shares: field and measurement names,
// "host[:port]" targets, and YAML text written by the pattoo imports.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace strix::agents {

// True for a field, measurement or label name: [a-zA-Z_][a-zA-Z0-9_]*, at most 128
// characters.
bool IsFieldName(std::string_view s);

// "host", "host:port", "[v6]" or "[v6]:port"; a bare IPv6 literal ("2001:db8::1", two
// colons or more) is a host without a port. The port (1..65535) defaults to
// `default_port`. False for an empty host, a bad port, or a host with blanks, control
// characters, '/', '[' or ']'.
bool ParseHostPort(std::string_view text, uint16_t default_port, std::string* host, uint16_t* port);

// The inverse, as a label: "host" when the port is the default, "host:port" or
// "[v6]:port" otherwise.
std::string HostPortLabel(const std::string& host, uint16_t port, uint16_t default_port);

// A YAML double-quoted scalar: '"' and '\' escaped, control characters as \xNN.
std::string YamlQuote(std::string_view s);

// The shortest text that reads back as `d`.
std::string YamlNumber(double d);

}  // namespace strix::agents
