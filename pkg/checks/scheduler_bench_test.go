package checks

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// The listeners of BenchmarkScheduler10k run in a child process (this test
// binary re-executed) so that the figures measure the scheduler and its
// probes only.
const benchListenersEnv = "GOHAPROXY_CHECKS_BENCH_LISTENERS"

// TestBenchListenersHelper is the child process: it listens on N loopback
// ports, prints their addresses, and accepts until its stdin closes.
func TestBenchListenersHelper(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv(benchListenersEnv))
	if n <= 0 {
		t.Skip("helper process for BenchmarkScheduler10k")
	}
	var lns []net.Listener
	for i := 0; i < n; i++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			fmt.Println("ERROR", err)
			os.Exit(1)
		}
		lns = append(lns, ln)
		fmt.Println(ln.Addr().String())
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				go func() {
					// Wait for the checker to close, then reset: neither
					// side keeps the connection in TIME_WAIT.
					c.SetReadDeadline(time.Now().Add(30 * time.Second))
					c.Read(make([]byte, 1))
					c.(*net.TCPConn).SetLinger(0)
					c.Close()
				}()
			}
		}()
	}
	fmt.Println("READY")
	io.Copy(io.Discard, os.Stdin)
	for _, ln := range lns {
		ln.Close()
	}
	os.Exit(0)
}

func startBenchListeners(b *testing.B, n int) []string {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestBenchListenersHelper$", "-test.count=1")
	cmd.Env = append(os.Environ(), benchListenersEnv+"="+strconv.Itoa(n))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	pid := cmd.Process.Pid
	b.Cleanup(func() {
		stdin.Close()
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			if p := cmd.Process; p != nil && p.Pid == pid {
				p.Kill()
			}
			<-done
		}
	})
	var addrs []string
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		l := sc.Text()
		if l == "READY" {
			go io.Copy(io.Discard, stdout)
			return addrs
		}
		if strings.HasPrefix(l, "ERROR") {
			b.Fatal(l)
		}
		addrs = append(addrs, l)
	}
	b.Fatalf("listener helper ended: %v", sc.Err())
	return nil
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// procStatus returns a "VmRSS"-style field of /proc/self/status in KiB.
func procStatus(field string) int64 {
	b, _ := os.ReadFile("/proc/self/status")
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, field+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

// BenchmarkScheduler10k runs 10,000 checks, each every second, and
// reports the CPU time and memory the scheduler process uses over a 10 s
// window after a 3 s warm-up:
//
//   - noop: a probe that does nothing, to isolate the scheduler's own cost;
//   - tcp: TCP connect checks against 16 loopback listeners (625 targets
//     each) served by a child process. A check runs again one interval
//     after its probe ends, so when the machine is short of CPU probes
//     take longer and fewer than 10,000 complete a second; listen-overflows
//     (the kernel's counter for the whole network namespace) shows
//     whether the listeners' queues overflowed.
//
// Run it alone:
//
//	go test -run='^$' -bench=BenchmarkScheduler10k -benchtime=1x ./pkg/checks
func BenchmarkScheduler10k(b *testing.B) {
	b.Run("noop", func(b *testing.B) {
		noop := ProbeFunc(func(context.Context, Target) Result { return result(true, StatusL4OK, 0, "") })
		benchScheduler(b, noop, []string{"127.0.0.1:9"})
	})
	b.Run("tcp", func(b *testing.B) {
		addrs := startBenchListeners(b, 16)
		benchScheduler(b, TCPConnect{}, addrs)
	})
}

func benchScheduler(b *testing.B, probe Probe, addrs []string) {
	const (
		targets = 10000
		inter   = time.Second
		warmup  = 3 * time.Second
		window  = 10 * time.Second
	)
	var probes, failures atomic.Int64
	var firstFailure atomic.Value
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		s := NewScheduler(context.Background(), Options{
			EventBuffer: targets,
			OnResult: func(_ string, r Result) {
				probes.Add(1)
				if !r.OK {
					failures.Add(1)
					firstFailure.CompareAndSwap(nil, r.String())
				}
			},
		})
		go func() {
			for range s.Events() {
			}
		}()
		for i := 0; i < targets; i++ {
			err := s.Add(Check{
				Name:      "t" + strconv.Itoa(n) + "-" + strconv.Itoa(i),
				Target:    Target{Addr: addrs[i%len(addrs)]},
				Probe:     probe,
				Intervals: Intervals{Inter: inter},
				Rise:      1, Fall: 1,
				Timeout: 2 * time.Second,
				// Spread the first checks over one interval.
				Warmup: inter,
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		time.Sleep(warmup)
		cpu0, p0, f0, o0 := cpuTime(), probes.Load(), failures.Load(), listenOverflows()
		start := time.Now()
		var maxRSS int64
		for time.Since(start) < window {
			time.Sleep(500 * time.Millisecond)
			maxRSS = max(maxRSS, procStatus("VmRSS"))
		}
		elapsed := time.Since(start)
		cpu := cpuTime() - cpu0
		done, failed := probes.Load()-p0, failures.Load()-f0
		b.ReportMetric(float64(done)/elapsed.Seconds(), "checks/s")
		b.ReportMetric(float64(cpu.Milliseconds())/elapsed.Seconds(), "cpu-ms/s")
		b.ReportMetric(float64(maxRSS)/1024, "RSS-MiB")
		b.ReportMetric(float64(failed), "failed")
		b.ReportMetric(float64(listenOverflows()-o0), "listen-overflows")
		b.Logf("%d targets every %v for %v: %d checks (%.0f/s, %d failed), CPU %v (%.1f%% of one core), peak RSS %.1f MiB, %d goroutines, %d OS threads, load average %s",
			targets, inter, elapsed.Round(time.Millisecond), done, float64(done)/elapsed.Seconds(), failed,
			cpu.Round(time.Millisecond), 100*cpu.Seconds()/elapsed.Seconds(), float64(maxRSS)/1024, runtime.NumGoroutine(), procThreads(), loadAvg())
		if f := firstFailure.Load(); f != nil {
			b.Logf("first failure: %v", f)
		}
		s.Stop()
	}
}

// listenOverflows is the kernel's TcpExt ListenOverflows counter.
func listenOverflows() int64 {
	b, _ := os.ReadFile("/proc/net/netstat")
	lines := strings.Split(string(b), "\n")
	for i := 0; i+1 < len(lines); i++ {
		if !strings.HasPrefix(lines[i], "TcpExt:") || !strings.HasPrefix(lines[i+1], "TcpExt:") {
			continue
		}
		names, vals := strings.Fields(lines[i]), strings.Fields(lines[i+1])
		for j := range names {
			if names[j] == "ListenOverflows" && j < len(vals) {
				n, _ := strconv.ParseInt(vals[j], 10, 64)
				return n
			}
		}
	}
	return 0
}

func procThreads() int64 { return procStatus("Threads") }

// loadAvg is the machine's 1-minute load average: the figures depend on
// what else runs.
func loadAvg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return "?"
	}
	return f[0]
}
