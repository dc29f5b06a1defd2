// zlib, for gzip request bodies (OTLP exporters compress by default in some languages).
#include <zlib.h>
