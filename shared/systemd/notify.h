#pragma once
// The service manager's readiness protocol (sd_notify(3)), for Type=notify units
// (packaging/systemd/).
//
// systemd documents this protocol as stable and recommends that services reimplement it rather
// than link libsystemd: one datagram of newline-separated KEY=VALUE assignments to the
// AF_UNIX socket named by $NOTIFY_SOCKET. Doing so keeps libsystemd off the agent's
// dependencies on devices that run it under another init (or none).
//
// Thread-safe; each call opens and closes its own socket. Outside a service manager
// ($NOTIFY_SOCKET unset) every call is a successful no-op.

#include <string_view>

#include "shared/result.h"

namespace tributary::systemd {

// Sends `state`, e.g. "READY=1\nSTATUS=serving on 127.0.0.1:4567" or "STOPPING=1".
// Returns true when a service manager was told, false when none is listening for it.
// Errors: std::errc::invalid_argument for a $NOTIFY_SOCKET that is not an absolute path or an
// abstract name ("@…") or is too long; the errno of socket()/sendto() otherwise (say, the
// manager's socket is gone). Callers log them: a service must not fail because of this.
Result<bool> notify(std::string_view state);

}  // namespace tributary::systemd
