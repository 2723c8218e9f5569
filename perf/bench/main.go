// Command bench is the load generator alone, the same as `densemcp bench`, for when the
// server binary is not built (perf/compare.sh uses it).
package main

import (
	"os"

	"github.com/densemcp/densemcp/perf"
)

func main() { os.Exit(perf.Main(os.Args[1:])) }
