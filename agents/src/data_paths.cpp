#include "atelier/agents/data_paths.h"
