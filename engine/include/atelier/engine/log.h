#pragma once
// Temporary forwarding header: logging moved to atelier_base. Include "atelier/base/log.h".
#include "atelier/base/log.h"
