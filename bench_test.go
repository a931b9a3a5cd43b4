package respd_test

import (
	"context"
	"runtime"
	"testing"

	"github.com/alicebob/miniredis/v2"

	"github.com/respd/respd"
)

// The start-up benchmarks measure what a test pays per embedded server:
// BenchmarkStart* the time and allocations of one Start+Close, and
// BenchmarkLive* the heap, goroutine stacks and goroutines each of 100
// servers running at once holds. miniredis, the usual in-process fake, is measured alike for
// comparison; it is used nowhere else.

func BenchmarkStart(b *testing.B) {
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		srv, err := respd.Start(ctx, respd.Options{})
		if err != nil {
			b.Fatal(err)
		}
		srv.Close()
	}
}

func BenchmarkStartMiniredis(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		m, err := miniredis.Run()
		if err != nil {
			b.Fatal(err)
		}
		m.Close()
	}
}

// liveCost starts n servers with start, reports the heap, stacks and
// goroutines each holds once all run, and stops them.
func liveCost(b *testing.B, n int, start func() (stop func())) {
	b.ReportAllocs()
	var heap, stack, goroutines float64
	for b.Loop() {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		g0 := runtime.NumGoroutine()
		stops := make([]func(), n)
		for i := range stops {
			stops[i] = start()
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		heap += float64(after.HeapAlloc) - float64(before.HeapAlloc)
		stack += float64(after.StackInuse) - float64(before.StackInuse)
		goroutines += float64(runtime.NumGoroutine() - g0)
		for _, stop := range stops {
			stop()
		}
	}
	runs := float64(b.N) * float64(n)
	b.ReportMetric(heap/runs, "heapB/server")
	b.ReportMetric(stack/runs, "stackB/server")
	b.ReportMetric(goroutines/runs, "goroutines/server")
}

func BenchmarkLive100(b *testing.B) {
	liveCost(b, 100, func() func() {
		srv, err := respd.Start(context.Background(), respd.Options{})
		if err != nil {
			b.Fatal(err)
		}
		return func() { srv.Close() }
	})
}

func BenchmarkLive100Miniredis(b *testing.B) {
	liveCost(b, 100, func() func() {
		m, err := miniredis.Run()
		if err != nil {
			b.Fatal(err)
		}
		return m.Close
	})
}
