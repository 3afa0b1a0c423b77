-- SPDX-License-Identifier: MIT
-- tools/wireshark/calc.lua -- public: a Wireshark/tshark Lua plugin (docs/WIRESHARK.md).
-- Dissects the calc protocol over UDP and in sockcalc's Unix-domain captures (LINKTYPE_USER0).
-- Runs in Wireshark's dissection thread; its state is reset by calc.init on each new capture.

-- wire constants begin: the values of src/protocol/include/sockcalc/protocol/wire.hpp, as literals;
-- tests/capture/wire_constants_test.cpp fails when the two files differ.
local wire = {
  kHeaderSize = 1,
  kOperandSize = 4,
  kMinOperands = 1,
  kMaxOperands = 64,
  kMaxPayload = 256,
  kMinRequestSize = 5,
  kMaxRequestSize = 257,
  kRequestUnusedMask = 0xF0,
  kRequestUnusedShift = 4,
  kOpcodeMask = 0x0E,
  kOpcodeShift = 1,
  kFormatMask = 0x01,
  kOpcodeSum = 0,
  kOpcodeProduct = 1,
  kFormatInteger = 0,
  kFormatString = 1,
  kStatusMask = 0x80,
  kReplyUnusedMask = 0x7F,
  kIntegerResultSize = 4,
  kMaxDigits = 10,
  kMaxSuccessReplySize = 11,
  kRecvBufferSize = 258,
  kCoursePort = 10000,
}
-- wire constants end

-- The sockcalc-unix capture encapsulation (src/capture/include/sockcalc/capture/pcap_writer.hpp).
local kUnixEncapVersion = 1
local kUnixEncapFixedSize = 6
local kMaxUint32 = 4294967295
local kUdpHeaderSize = 8

local band = bit32.band
local rshift = bit32.rshift

local calc = Proto("calc", "Calc Protocol")

-- Value names. An opcode other than sum and product is "unknown" (P-4).
local type_names = { [0] = "request", [1] = "reply" }
local opcode_names = { [wire.kOpcodeSum] = "sum", [wire.kOpcodeProduct] = "product" }
for op = 0, rshift(wire.kOpcodeMask, wire.kOpcodeShift) do
  opcode_names[op] = opcode_names[op] or "unknown"
end
local format_names = { [wire.kFormatInteger] = "integer", [wire.kFormatString] = "string" }
local status_names = { [0] = "error", [1] = "success" }

local f = {
  type = ProtoField.uint8("calc.type", "Type", base.DEC, type_names,
    nil, "0 = request (to a server port), 1 = reply (from it)"),
  header = ProtoField.uint8("calc.header", "Header", base.HEX),
  unused = ProtoField.uint8("calc.unused", "Unused", base.HEX, nil, wire.kRequestUnusedMask,
    "Request bits ignored by receivers (P-3)"),
  opcode = ProtoField.uint8("calc.opcode", "Opcode", base.DEC, opcode_names, wire.kOpcodeMask),
  format = ProtoField.uint8("calc.format", "Format (F)", base.DEC, format_names, wire.kFormatMask),
  count = ProtoField.uint32("calc.count", "Integer count", base.DEC),
  operand = ProtoField.uint32("calc.operand", "Integer", base.DEC),
  trailing = ProtoField.bytes("calc.trailing", "Trailing bytes"),
  status = ProtoField.uint8("calc.status", "Status (S)", base.DEC, status_names, wire.kStatusMask),
  reply_unused = ProtoField.uint8("calc.reply_unused", "Unused", base.HEX, nil,
    wire.kReplyUnusedMask, "Reply bits ignored by receivers (P-10)"),
  result_format = ProtoField.uint8("calc.result_format", "Result format", base.DEC, format_names,
    nil, "The F bit of the request this reply answers, or a guess"),
  result = ProtoField.uint32("calc.result", "Result", base.DEC),
  result_str = ProtoField.string("calc.result_str", "Result string"),
  reason = ProtoField.string("calc.reason", "Error reason"),
  request_in = ProtoField.framenum("calc.request_in", "Request in frame", base.NONE,
    frametype.REQUEST),
}
calc.fields = f

local function new_expert(abbr, text, group, severity)
  return ProtoExpert.new("calc." .. abbr, text, group, severity)
end
local MALFORMED, ERROR = expert.group.MALFORMED, expert.severity.ERROR
-- The malformed-message texts are the codec's own (protocol::format_reason and
-- to_string(ReplyError)), so that the capture test compares them with the codec's output.
local e = {
  empty = new_expert("empty", "empty datagram", MALFORMED, ERROR),
  unknown_opcode = new_expert("unknown_opcode", "unknown opcode", MALFORMED, ERROR),
  no_integer = new_expert("no_integer", "no integer", MALFORMED, ERROR),
  misaligned = new_expert("misaligned", "payload not a multiple of 4 bytes", MALFORMED, ERROR),
  too_many = new_expert("too_many", "too many integers", MALFORMED, ERROR),
  integer_length = new_expert("integer_length", "integer result is not exactly 4 bytes",
    MALFORMED, ERROR),
  string_empty = new_expert("string_empty", "string result has no digit", MALFORMED, ERROR),
  string_too_long = new_expert("string_too_long", "string result longer than 10 characters",
    MALFORMED, ERROR),
  not_a_digit = new_expert("not_a_digit", "string result holds a byte that is not a digit",
    MALFORMED, ERROR),
  leading_zero = new_expert("leading_zero", "string result has a leading zero", MALFORMED, ERROR),
  out_of_range = new_expert("out_of_range", "string result above 4294967295", MALFORMED, ERROR),
  nul = new_expert("nul", "string result holds a NUL byte", MALFORMED, ERROR),
  reason_nul = new_expert("reason_nul", "error reason holds a NUL byte", expert.group.PROTOCOL,
    expert.severity.NOTE),
  error_reply = new_expert("error_reply", "error reply", expert.group.RESPONSE_CODE,
    expert.severity.NOTE),
  unused_bits = new_expert("unused_bits", "unused bits set (receivers ignore them)",
    expert.group.PROTOCOL, expert.severity.CHAT),
  format_guessed = new_expert("format_guessed", "no request seen: result format guessed",
    expert.group.SEQUENCE, expert.severity.NOTE),
  bad_encap = new_expert("bad_encap", "bad sockcalc-unix capture header", MALFORMED, ERROR),
}
calc.experts = {}
for _, v in pairs(e) do table.insert(calc.experts, v) end

calc.prefs.ports = Pref.range("Server UDP ports", tostring(wire.kCoursePort),
  "UDP ports calc servers listen on: a datagram to one is a request, from one a reply", 65535)
calc.prefs.unix_server = Pref.string("Unix server address", "",
  "In Unix-domain captures, the server's address as the programs print it (unix:/path or " ..
  "unix:@name): a datagram to it is a request. Empty: the first datagram between two " ..
  "addresses is a request")

-- ---- Request or reply? ----
-- By port: to a server port -> request; from one -> reply. When both or neither port is a server
-- port (Decode As on another port, a Unix capture), the first datagram seen between two
-- endpoints is a request and its destination is the server. Decided once per frame, on the
-- first pass, and remembered, so that later (random-order) passes agree.
local frames, servers, pending = {}, {}, {}
function calc.init()
  frames, servers, pending = {}, {}, {}
end

local function parse_ranges(text)
  local ranges = {}
  for part in string.gmatch(text or "", "[^,]+") do
    local lo, hi = string.match(part, "^%s*(%d+)%s*%-%s*(%d+)%s*$")
    if not lo then
      lo = string.match(part, "^%s*(%d+)%s*$")
      hi = lo
    end
    if lo then table.insert(ranges, { tonumber(lo), tonumber(hi) }) end
  end
  return ranges
end

local port_ranges = {}
local function is_server_port(port)
  for _, r in ipairs(port_ranges) do
    if port >= r[1] and port <= r[2] then return true end
  end
  return false
end

local function frame_state(pinfo, src, dst, by_rule)
  local st = frames[pinfo.number]
  if st then return st end
  local conv = src < dst and (src .. "|" .. dst) or (dst .. "|" .. src)
  local is_request = by_rule
  if is_request == nil then
    servers[conv] = servers[conv] or dst
    is_request = servers[conv] == dst
  else
    servers[conv] = is_request and dst or src
  end
  st = { request = is_request }
  frames[pinfo.number] = st
  return st
end

-- ---- Requests (P-3..P-6) ----
local function dissect_request(tvb, pinfo, tree, st, src, dst)
  local length = tvb:reported_length_remaining()
  local held = tvb:len()
  if not st.recorded then
    -- What the reply to this request will be read against: its F bit, and its frame.
    local format = length > 0 and band(tvb(0, 1):uint(), wire.kFormatMask) or nil
    pending[src .. ">" .. dst] = { format = format, frame = pinfo.number }
    st.recorded = true
  end
  if length == 0 then
    tree:add_proto_expert_info(e.empty, "empty request")
    pinfo.cols.info = "Request (empty)"
    return
  end
  local b0 = tvb(0, 1):uint()
  local opcode = rshift(band(b0, wire.kOpcodeMask), wire.kOpcodeShift)
  local format = band(b0, wire.kFormatMask)
  local header = tree:add(f.header, tvb(0, 1))
  header:add(f.unused, tvb(0, 1))
  header:add(f.opcode, tvb(0, 1))
  header:add(f.format, tvb(0, 1))
  if band(b0, wire.kRequestUnusedMask) ~= 0 then header:add_proto_expert_info(e.unused_bits) end

  local payload = length - wire.kHeaderSize
  local count = math.floor(payload / wire.kOperandSize)
  tree:add(f.count, count):set_generated()
  local shown = math.min(count, math.floor((held - wire.kHeaderSize) / wire.kOperandSize))
  for i = 0, shown - 1 do
    tree:add(f.operand, tvb(wire.kHeaderSize + i * wire.kOperandSize, wire.kOperandSize))
  end
  local rest = wire.kHeaderSize + count * wire.kOperandSize
  if payload % wire.kOperandSize ~= 0 and rest < held then
    tree:add(f.trailing, tvb(rest, held - rest))
  end

  -- The first broken rule, in the order of P-6 and protocol::decode_request().
  local fault
  if opcode ~= wire.kOpcodeSum and opcode ~= wire.kOpcodeProduct then
    fault = { e.unknown_opcode, "unknown opcode " .. opcode }
  elseif payload == 0 then
    fault = { e.no_integer, "no integer" }
  elseif payload % wire.kOperandSize ~= 0 then
    fault = { e.misaligned, "payload of " .. payload .. (payload == 1 and " byte" or " bytes") ..
      " is not a multiple of 4" }
  elseif count > wire.kMaxOperands then
    fault = { e.too_many, "too many integers: " .. count .. " (max " .. wire.kMaxOperands .. ")" }
  end
  if fault then
    tree:add_proto_expert_info(fault[1], fault[2])
    pinfo.cols.info = "Request (" .. fault[2] .. ")"
  else
    pinfo.cols.info = string.format("Request %s, %s, %d integer%s", opcode_names[opcode],
      format_names[format], count, count == 1 and "" or "s")
  end
end

-- ---- Replies (P-8, P-10, P-11) ----
local function is_digits(s)
  return string.find(s, "^%d+$") ~= nil
end

-- The first broken rule of a string result, in the order of protocol::decode_reply().
local function string_fault(s)
  if #s == 0 then return e.string_empty, "string result has no digit" end
  if #s > wire.kMaxDigits then return e.string_too_long, "string result longer than 10 characters" end
  if not is_digits(s) then return e.not_a_digit, "string result holds a byte that is not a digit" end
  if #s > 1 and string.sub(s, 1, 1) == "0" then
    return e.leading_zero, "string result has a leading zero"
  end
  if tonumber(s) > kMaxUint32 then return e.out_of_range, "string result above 4294967295" end
  return nil
end

local function dissect_reply(tvb, pinfo, tree, st, src, dst)
  local length = tvb:reported_length_remaining()
  local held = tvb:len()
  if not st.looked_up then
    local req = pending[dst .. ">" .. src]  -- the last request from this client to this server
    if req then st.format, st.request_in = req.format, req.frame end
    st.looked_up = true
  end
  if st.request_in then tree:add(f.request_in, st.request_in):set_generated() end
  if length == 0 then
    tree:add_proto_expert_info(e.empty, "empty reply")
    pinfo.cols.info = "Reply (empty)"
    return
  end
  local b0 = tvb(0, 1):uint()
  local header = tree:add(f.header, tvb(0, 1))
  header:add(f.status, tvb(0, 1))
  header:add(f.reply_unused, tvb(0, 1))
  if band(b0, wire.kReplyUnusedMask) ~= 0 then header:add_proto_expert_info(e.unused_bits) end
  local payload = held > wire.kHeaderSize and tvb(wire.kHeaderSize) or nil
  local bytes = payload and payload:raw() or ""

  if band(b0, wire.kStatusMask) == 0 then
    -- A NUL would end the string field early: it is shown (and filtered on) as \0.
    local shown = string.gsub(bytes, "%z", "\\0")
    if payload then tree:add(f.reason, payload, shown) else tree:add(f.reason, "") end
    if shown == "" then shown = "(no reason)" end
    tree:add_proto_expert_info(e.error_reply, "error reply: " .. shown)
    if string.find(bytes, "\0", 1, true) then tree:add_proto_expert_info(e.reason_nul) end
    pinfo.cols.info = "Reply error: " .. shown
    return
  end

  if st.format == nil then
    -- No request seen. Four bytes that are not all digits can only be an integer; anything
    -- else is read as a string.
    st.format = (#bytes == wire.kIntegerResultSize and not is_digits(bytes))
      and wire.kFormatInteger or wire.kFormatString
    st.guessed = true
  end
  tree:add(f.result_format, st.format):set_generated()
  if st.guessed then tree:add_proto_expert_info(e.format_guessed) end

  local fault, text, value
  if st.format == wire.kFormatInteger then
    if length - wire.kHeaderSize ~= wire.kIntegerResultSize then
      fault, text = e.integer_length, "integer result is not exactly 4 bytes"
      if payload then tree:add(f.trailing, payload) end
    else
      value = payload:uint()
      tree:add(f.result, payload)
    end
  else
    fault, text = string_fault(bytes)
    local shown = string.gsub(bytes, "%z", "\\0")
    if payload then tree:add(f.result_str, payload, shown) else tree:add(f.result_str, "") end
    if not fault then
      value = tonumber(bytes)
      tree:add(f.result, value):set_generated()
    end
  end
  if fault then
    tree:add_proto_expert_info(fault, text)
    pinfo.cols.info = "Reply (" .. text .. ")"
  else
    pinfo.cols.info = "Reply " .. string.format("%d", value)
  end
  -- The course warns that the string has no terminating NUL: say so when one is there.
  if st.format == wire.kFormatString and string.find(bytes, "\0", 1, true) then
    tree:add_proto_expert_info(e.nul)
  end
end

-- Dissects one calc datagram; `by_rule` is true (request), false (reply) or nil (unknown).
local function dissect_calc(tvb, pinfo, root, src, dst, by_rule)
  pinfo.cols.protocol = "CALC"
  local st = frame_state(pinfo, src, dst, by_rule)
  local tree = root:add(calc, tvb())
  tree:add(f.type, st.request and 0 or 1):set_generated()
  if st.request then
    dissect_request(tvb, pinfo, tree, st, src, dst)
  else
    dissect_reply(tvb, pinfo, tree, st, src, dst)
  end
  return tvb:len()
end

function calc.dissector(tvb, pinfo, root)
  local to_server, from_server = is_server_port(pinfo.dst_port), is_server_port(pinfo.src_port)
  local by_port = nil
  if to_server ~= from_server then by_port = to_server end
  local src = tostring(pinfo.src) .. " " .. pinfo.src_port
  local dst = tostring(pinfo.dst) .. " " .. pinfo.dst_port
  return dissect_calc(tvb, pinfo, root, src, dst, by_port)
end

-- ---- Ports, preferences, Decode As ----
local udp_port = DissectorTable.get("udp.port")
local registered = ""
local function register_ports()
  local ports = calc.prefs.ports
  if ports == registered then return end
  if registered ~= "" then udp_port:remove(registered, calc) end
  if ports ~= "" then udp_port:add(ports, calc) end
  registered = ports
  port_ranges = parse_ranges(ports)
end
calc.prefs_changed = register_ports
register_ports()
udp_port:add_for_decode_as(calc)

-- UDP hands an empty payload to no dissector, yet an empty datagram is a calc message (P-6,
-- P-8). This post-dissector shows the empty datagrams to or from a server port.
local calc_empty = Proto("calc_empty", "Calc empty datagrams")
local udp_length = Field.new("udp.length")
local udp_srcport = Field.new("udp.srcport")
local udp_dstport = Field.new("udp.dstport")
function calc_empty.dissector(tvb, pinfo, root)
  local lengths, sports, dports = { udp_length() }, { udp_srcport() }, { udp_dstport() }
  -- One UDP header only: an empty datagram quoted inside an ICMP error is left alone.
  if #lengths ~= 1 or #sports ~= 1 or #dports ~= 1 then return end
  if lengths[1].value ~= kUdpHeaderSize then return end
  local to_server, from_server = is_server_port(dports[1].value), is_server_port(sports[1].value)
  if not (to_server or from_server) then return end
  local by_port = nil
  if to_server ~= from_server then by_port = to_server end
  local src = tostring(pinfo.src) .. " " .. sports[1].value
  local dst = tostring(pinfo.dst) .. " " .. dports[1].value
  dissect_calc(tvb:range(tvb:len(), 0):tvb(), pinfo, root, src, dst, by_port)
end
register_postdissector(calc_empty)

-- ---- Unix-domain captures: LINKTYPE_USER0 records in the sockcalc-unix encapsulation ----
local calc_unix = Proto("calc_unix", "sockcalc Unix-domain capture")
local fu = {
  version = ProtoField.uint8("calc_unix.version", "Version", base.DEC),
  src = ProtoField.string("calc_unix.src", "Source address"),
  dst = ProtoField.string("calc_unix.dst", "Destination address"),
}
calc_unix.fields = fu

function calc_unix.dissector(tvb, pinfo, root)
  pinfo.cols.protocol = "CALC-UNIX"
  local tree = root:add(calc_unix, tvb())
  local held = tvb:len()
  if held < kUnixEncapFixedSize or tvb(0, 1):uint() ~= kUnixEncapVersion then
    tree:add_proto_expert_info(e.bad_encap)
    return held
  end
  tree:add(fu.version, tvb(0, 1))
  local src_len, dst_len = tvb(2, 2):uint(), tvb(4, 2):uint()
  local start = kUnixEncapFixedSize + src_len + dst_len
  if held < start then
    tree:add_proto_expert_info(e.bad_encap)
    return held
  end
  local src = src_len > 0 and tvb(kUnixEncapFixedSize, src_len):raw() or ""
  local dst = dst_len > 0 and tvb(kUnixEncapFixedSize + src_len, dst_len):raw() or ""
  if src_len > 0 then tree:add(fu.src, tvb(kUnixEncapFixedSize, src_len)) end
  if dst_len > 0 then tree:add(fu.dst, tvb(kUnixEncapFixedSize + src_len, dst_len)) end
  tree:set_len(start)
  pinfo.cols.src = src
  pinfo.cols.dst = dst
  local by_rule = nil
  local server = calc.prefs.unix_server
  if server ~= "" and (src == server) ~= (dst == server) then by_rule = dst == server end
  local rest = tvb:range(start, held - start):tvb()
  return start + dissect_calc(rest, pinfo, root, src, dst, by_rule)
end

DissectorTable.get("wtap_encap"):add(wtap_encaps.USER0, calc_unix)
