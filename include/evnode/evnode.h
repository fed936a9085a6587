// evnode/evnode.h — everything: Node.js's networking stack in C++.
#pragma once

#include "evnode/buffer.h"
#include "evnode/error.h"
#include "evnode/events.h"
#include "evnode/loop.h"
#include "evnode/stream.h"
