#pragma once
// Temporary forwarding header: Result moved to atelier_base. Include "atelier/base/result.h".
#include "atelier/base/result.h"
