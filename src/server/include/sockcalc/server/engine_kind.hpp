// SPDX-License-Identifier: MIT
// server/engine_kind.hpp -- public.
// Engine: how a worker moves datagrams, the one enum for the server's option (ServerOptions),
// its I/O factory (batch_io) and the --engine of the programs. A value type; any thread.
#pragma once

namespace sockcalc::server {

/// How a worker moves datagrams.
enum class Engine {
  simple,  // the course's loop: one recvfrom, one sendto
  batch,   // recvmmsg/sendmmsg, up to `batch` datagrams a call
};

}  // namespace sockcalc::server
