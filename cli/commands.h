// The commands not yet built on the library's public surface alone (sync,
// shard-plan) include this header: cli/app.h, and the engine's own options
// and client (cli/context.h). It goes once they move.
#pragma once

#include "cli/app.h"
#include "cli/context.h"
