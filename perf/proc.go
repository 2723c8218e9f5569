//go:build linux

package perf

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// clockTicksPerSecond is USER_HZ, the unit of utime/stime in /proc/PID/stat: 100 on every
// Linux ABI Go supports (sysconf(_SC_CLK_TCK) is not reachable without cgo).
const clockTicksPerSecond = 100

// procCPU returns the user and system CPU time a process has used, from /proc/PID/stat.
func procCPU(pid int) (user, sys time.Duration, err error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0, err
	}
	// The command name (field 2) may hold spaces and parentheses: fields after the last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, 0, fmt.Errorf("cannot parse /proc/%d/stat", pid)
	}
	f := bytes.Fields(b[i+1:])
	if len(f) < 13 {
		return 0, 0, fmt.Errorf("cannot parse /proc/%d/stat: %d fields", pid, len(f))
	}
	// f[0] is field 3 (state); utime and stime are fields 14 and 15.
	ut, err1 := strconv.ParseInt(string(f[11]), 10, 64)
	st, err2 := strconv.ParseInt(string(f[12]), 10, 64)
	if err1 != nil || err2 != nil {
		return 0, 0, fmt.Errorf("cannot parse utime/stime in /proc/%d/stat", pid)
	}
	return time.Duration(ut) * time.Second / clockTicksPerSecond, time.Duration(st) * time.Second / clockTicksPerSecond, nil
}

// procRSS returns a process's resident set size in bytes, from VmRSS in /proc/PID/status.
func procRSS(pid int) (int64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, err
	}
	for line := range bytes.SplitSeq(b, []byte("\n")) {
		if v, ok := bytes.CutPrefix(line, []byte("VmRSS:")); ok {
			v = bytes.TrimSpace(bytes.TrimSuffix(bytes.TrimSpace(v), []byte("kB")))
			kb, err := strconv.ParseInt(string(v), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("cannot parse VmRSS %q: %w", v, err)
			}
			return kb << 10, nil
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
}

// selfCPU returns the user and system CPU time this process has used.
func selfCPU() (user, sys time.Duration) {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &ru); err != nil {
		return 0, 0
	}
	return time.Duration(ru.Utime.Nano()), time.Duration(ru.Stime.Nano())
}

// raiseNoFile lifts the open-file soft limit to the hard limit: 20K connections need 20K
// descriptors.
func raiseNoFile() (uint64, error) {
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &rl); err != nil {
		return 0, err
	}
	if rl.Cur < rl.Max {
		rl.Cur = rl.Max
		if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &rl); err != nil {
			return 0, err
		}
	}
	return rl.Cur, nil
}

// sample is one reading of the clocks and memory at a window boundary.
// User and system time are kept apart: on loopback the kernel's TCP work for both ends is
// system time shared by server and generator alike, while user time is each side's own work.
type sample struct {
	serverUser, serverSys time.Duration
	serverRSS             int64
	selfUser, selfSys     time.Duration
	selfIdle              time.Duration // spinning: the generator's polls that found nothing
	ok                    bool          // the server's /proc entries were readable
}

func takeSample(pid int) sample {
	var s sample
	s.selfUser, s.selfSys = selfCPU()
	if pid <= 0 {
		return s
	}
	user, sys, err1 := procCPU(pid)
	rss, err2 := procRSS(pid)
	s.serverUser, s.serverSys, s.serverRSS, s.ok = user, sys, rss, err1 == nil && err2 == nil
	return s
}
