package server

import (
	"net"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/respd/respd/internal/ticks"
)

// The event loop.
//
// A plain socket's client that needs nothing but requests and replies
// is served without a goroutine of its own: its socket leaves Go's
// netpoller and joins the epoll set of the server's event loop, one
// goroutine that reads every ready client, runs its requests and, once
// the round is over, writes the replies, as Redis does. This is the
// "asleep" state of sleep.go: new connections start there, and a client
// whose goroutine has been idle for sleepAfter returns to it.
//
// A socket is watched by one epoll set only. Where Go's netpoller and a
// set of our own both held it, every request the client sent woke both
// sets, in the client's own system call; the second registration cost
// redis-benchmark about 1.3% of its CPU at `-P 1`. So a client moving
// into the loop hands its descriptor over: the loop keeps a duplicate
// and the net.Conn is closed, which takes the socket out of the
// netpoller. When the loop itself has nothing to do it waits in the
// netpoller on its own epoll set (sleep).
//
// Everything else goes back to a goroutine (release): a command that
// blocks or pauses the client, a subscription, MONITOR, tracking, a
// replica, an output limit, a reply the socket cannot take at once, a
// script or a transaction (so that a script running past
// busy-reply-threshold leaves the loop free to answer BUSY), and every
// engine-side wake-up (a read deadline set or the connection closed:
// sockConn routes both to wake). The loop then makes a new net.Conn of
// the descriptor and starts the client's goroutine with what it had
// read and not yet written. Woken by the engine, or left in a state
// only the goroutine serves, the goroutine first sees a read deadline
// in the past, so it runs poked, which looks at whatever the wake-up
// was for; given a script or a transaction, it runs it as it would have
// run the requests it read itself.
//
// With one P the loop also keeps the CPU from going idle between
// requests while clients send one command at a time: after a round it
// polls its set for up to busyPollFor, yielding between polls. Go's
// scheduler polls the network before a thread sleeps only from spare
// threads, and with one P there are none; on a virtual machine that
// halts an idle CPU without polling first, the next request would have
// to wake the CPU, and the client's write pays for that. Where clients
// pipeline, the gaps are the clients' own time to make the next
// pipeline: so the loop polls only while the running mean of commands
// per batch is at most smallBatches.
//
// Before it waits in the netpoller, a loop with one P whose clients
// pipeline first waits in its own set, in the system call itself, for
// up to blockFor (block): a request arriving then wakes the loop's
// thread directly, which returns to the loop goroutine, instead of
// waking the netpoller, which would have to make the goroutine runnable
// and switch to it. Where clients send one command at a time the loop
// parks at once after its polling, as before the wait: with the wait
// there too, the bench's GC test (GETs sent one at a time) saw the
// server stall for 2.2 to 23 ms inside a collection in three of five
// runs, against none in three runs of the code before it; the cause was
// not found.
//
// A loop with one P serves many clients pipelining at once in few,
// large rounds (coalescing). Where the loop is faster than the clients,
// each round finds the one or two pipelines that arrived during the
// round before, and every round pays its own wait; Redis, slower,
// finds a round's worth of clients ready at every wait, the clients it
// answered last having all sent again meanwhile. So when a round was
// small, its events were there without waiting, and many clients have
// been served lately, the loop sleeps coalesceFor, without being woken
// by requests, before its next look; the round that follows is large,
// and the next ones stay large without sleeping again, as Redis's do.
// At LPUSH -P 16 the loop then looks at its set a quarter as often (see
// the README). With few clients the loop never sleeps so: each would
// wait out the sleep with nothing else to do.
//
// Ownership: the loop goroutine owns the clients in its table, their
// descriptors and input. Other goroutines only queue clients for it
// (adopt, wake) under mu and kick its eventfd.
type evLoop struct {
	s    *Server
	epfd int
	// kick is an eventfd in the set: a write wakes the loop to look at
	// its queues.
	kick int
	// spin: one P, so the loop polls between rounds and blocks before
	// it sleeps (see the type's doc).
	spin bool
	// noBlock is set once the kernel has turned epoll_pwait2 down.
	noBlock bool
	// Coalescing: how many events the last look found if it found them
	// without waiting (0 otherwise); the clients served in the current
	// window of activeWindow (window counts them) and in the one before.
	readyN            int
	windowStart       ticks.Stamp
	window            uint32
	active, wasActive int
	// coalesced counts the coalescing sleeps (read by tests).
	coalesced atomic.Int64

	mu sync.Mutex
	// adopted are clients that entered the loop since its last look;
	// woken are those to give back to a goroutine; stopped is set by
	// Server.Close. Guarded by mu.
	adopted, woken []*sockConn
	stopped        bool

	// Owned by the loop goroutine.
	byFd   map[int32]*looped
	events [128]syscall.EpollEvent
	round  []*looped
	// mean is the running mean of commands per batch, in sixteenths.
	mean int32
	// The registration sleep waits through: waiter, its RawConn and
	// callback; what the callback read and how many times it looked;
	// when the loop last waited.
	waiter *os.File
	waitRC syscall.RawConn
	waitFn func(uintptr) bool
	woke   int
	looks  int
	slept  ticks.Stamp
	// yielder lets the netpoller run while the loop stays busy, and
	// yielded is when it last did (or the loop slept).
	yielder *netYielder
	yielded ticks.Stamp
}

// yieldEvery is how long the loop may keep the processor without
// letting Go's netpoller run. The netpoller runs only when no goroutine
// is runnable, and a busy loop always is: meanwhile the connections that
// have goroutines (subscribers, replicas, a blocked command's client)
// and the background jobs that yield through it (netYielder) would wait
// for the runtime's monitor, up to 10 ms.
const yieldEvery = 200 * time.Microsecond

// looped is a client in the loop: its descriptor and unparsed input,
// and the replies to write at the end of the round.
type looped struct {
	sc  *sockConn
	fd  int
	in  input
	out []byte
	// queued: in round.
	queued bool
	// window is the loop's window in which it was last served.
	window uint32
}

// smallBatches is the mean number of commands per batch (in sixteenths,
// as mean keeps it) at or under which the loop polls after a round:
// clients that send one command and wait for its reply.
const smallBatches = 2 << 4

// busyPollFor is how long the loop polls for more requests after a
// round before it lets the server sleep.
const busyPollFor = 20 * time.Microsecond

// blockFor is how long the loop waits in its own set before it sleeps
// in the netpoller. Made without telling the scheduler, the wait holds
// the P: timers and the goroutines that became runnable meanwhile wait
// as long. Waits of 5, 40 and 100 µs measured alike at LPUSH -P 16.
const blockFor = 15 * time.Microsecond

// Coalescing (see the type's doc): a round of at most coalesceRound
// events that were ready without waiting (a look that returned within
// readyWithin), with at least coalesceClients clients served in the
// current or last activeWindow, makes the loop sleep coalesceFor before
// its next look. The thread's timer slack is set to coalesceSlack first:
// the default slack lets a sleep last 50 µs longer, and with it (and
// 30 µs sleeps) 16 clients at -P 16 lost 13 to 27% of their rate.
const (
	coalesceFor     = 20 * time.Microsecond
	coalesceSlack   = time.Microsecond
	coalesceRound   = 3
	coalesceClients = 16
	activeWindow    = time.Millisecond
	readyWithin     = 2 * time.Microsecond
)

// blockTS and coalesceTS are blockFor and coalesceFor as the system
// calls take them.
var (
	blockTS    = syscall.NsecToTimespec(int64(blockFor))
	coalesceTS = syscall.NsecToTimespec(int64(coalesceFor))
)

// epollET is EPOLLET, which package syscall declares as a negative int.
const epollET = 1 << 31

// newLoop makes the server's loop, nil if it cannot have one (and then
// clients keep their goroutines).
func newLoop(s *Server) *evLoop {
	epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil
	}
	kick, _, errno := syscall.RawSyscall(syscall.SYS_EVENTFD2, 0, syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if errno != 0 {
		syscall.Close(epfd)
		return nil
	}
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN | epollET, Fd: -1}
	if syscall.SetNonblock(epfd, true) != nil || syscall.EpollCtl(epfd, syscall.EPOLL_CTL_ADD, int(kick), &ev) != nil {
		syscall.Close(epfd)
		syscall.Close(int(kick))
		return nil
	}
	l := &evLoop{s: s, epfd: epfd, kick: int(kick), spin: runtime.GOMAXPROCS(0) == 1, byFd: make(map[int32]*looped)}
	l.waitFn = l.waitStep
	return l
}

// grab duplicates sc's descriptor for the loop; -1 when there is no
// loop or no descriptor. Called by the goroutine that owns the client
// (or by newClient before it has one) as the client falls asleep.
func (l *evLoop) grab(sc *sockConn) int {
	if l == nil || sc.raw == nil {
		return -1
	}
	fd := -1
	if err := sc.raw.Control(func(sfd uintptr) {
		fd, _ = dupCloexec(int(sfd))
	}); err != nil {
		return -1
	}
	return fd
}

// adopt puts the client, falling asleep, to sleep and hands it to the
// loop with the descriptor grab returned. It reports whether it did: not
// when it was woken meanwhile, or the loop has stopped.
func (l *evLoop) adopt(sc *sockConn, fd int) bool {
	l.mu.Lock()
	// Under mu, so that a loop that saw its queue empty when stopped
	// cannot miss a client.
	if l.stopped || !sc.state.CompareAndSwap(falling, asleep) {
		l.mu.Unlock()
		return false
	}
	sc.lfd = int32(fd)
	l.adopted = append(l.adopted, sc)
	l.mu.Unlock()
	l.poke()
	return true
}

// drop closes a descriptor grab returned that is not needed after all.
func (l *evLoop) drop(fd int) {
	if fd >= 0 {
		syscall.Close(fd)
	}
}

// wake queues sc to be given back to a goroutine.
func (l *evLoop) wake(sc *sockConn) {
	if sc.wakeQueued.Swap(true) {
		return
	}
	l.mu.Lock()
	l.woken = append(l.woken, sc)
	l.mu.Unlock()
	l.poke()
}

// stop makes the loop return once every client it has is gone.
func (l *evLoop) stop() {
	if l == nil {
		return
	}
	l.mu.Lock()
	l.stopped = true
	l.mu.Unlock()
	l.poke()
}

// poke kicks the loop's eventfd.
func (l *evLoop) poke() {
	one := uint64(1)
	syscall.RawSyscall(syscall.SYS_WRITE, uintptr(l.kick), uintptr(unsafe.Pointer(&one)), 8)
}

// run is the loop goroutine.
func (l *evLoop) run() {
	l.yielder = newNetYielder()
	defer func() {
		l.yielder.close()
		if l.waiter != nil {
			l.waiter.Close()
		}
		syscall.Close(l.epfd)
		syscall.Close(l.kick)
	}()
	var idleSince ticks.Stamp
	idle := false
	for {
		n := 0
		if l.spin && l.mean <= smallBatches {
			// Polling between rounds (see the type's doc).
			if n = l.poll(); n == 0 {
				now := ticks.Now()
				if !idle {
					idleSince, idle = now, true
				}
				if ticks.Between(idleSince, now) < busyPollFor {
					runtime.Gosched()
					continue
				}
			}
		}
		idle = false
		if n == 0 && l.spin && !l.noBlock && l.mean > smallBatches {
			if l.coalescing() {
				l.coalesce()
			}
			t := ticks.Now()
			n = l.block()
			l.readyN = 0
			if ticks.Between(t, ticks.Now()) < readyWithin {
				l.readyN = n
			}
		} else {
			l.readyN = 0
		}
		if n == 0 {
			// Its first look does not wait.
			n = l.sleep()
		}
		if l.serve(n) {
			return
		}
		now := ticks.Now()
		if ticks.Between(l.windowStart, now) >= activeWindow {
			l.wasActive, l.active = l.active, 0
			l.window++
			l.windowStart = now
		}
		l.dropWaiter(now)
		if ticks.Between(l.yielded, now) >= yieldEvery {
			l.yielder.yield()
			l.yielded = ticks.Now()
		}
	}
}

// coalescing reports whether the loop, whose clients pipeline, should
// sleep coalesceFor before its next look (see the type's doc).
func (l *evLoop) coalescing() bool {
	return l.readyN > 0 && l.readyN <= coalesceRound && max(l.active, l.wasActive) >= coalesceClients
}

// coalesce sleeps coalesceFor, unwoken by requests. Both calls are
// made without telling the scheduler, as sockRead's are: the P waits
// out the sleep with the loop.
func (l *evLoop) coalesce() {
	l.coalesced.Add(1)
	// The slack is the thread's own, and the loop's goroutine may have
	// moved to another thread since its last sleep.
	syscall.RawSyscall(syscall.SYS_PRCTL, unix.PR_SET_TIMERSLACK, uintptr(coalesceSlack), 0)
	syscall.RawSyscall(syscall.SYS_NANOSLEEP, uintptr(unsafe.Pointer(&coalesceTS)), 0, 0)
}

// poll reads the ready events without waiting.
func (l *evLoop) poll() int {
	n, _, errno := syscall.RawSyscall6(syscall.SYS_EPOLL_PWAIT, uintptr(l.epfd),
		uintptr(unsafe.Pointer(&l.events[0])), uintptr(len(l.events)), 0, 0, 0)
	if errno != 0 {
		return 0
	}
	return int(n)
}

// block waits up to blockFor for events in the set, in epoll_pwait2
// (which takes its timeout in nanoseconds; epoll_wait's are
// milliseconds), made without telling the scheduler, as sockRead's
// calls are.
func (l *evLoop) block() int {
	n, _, errno := syscall.RawSyscall6(unix.SYS_EPOLL_PWAIT2, uintptr(l.epfd),
		uintptr(unsafe.Pointer(&l.events[0])), uintptr(len(l.events)),
		uintptr(unsafe.Pointer(&blockTS)), 0, 0)
	if errno == syscall.ENOSYS {
		// Before Linux 5.11.
		l.noBlock = true
	}
	if errno != 0 {
		return 0
	}
	return int(n)
}

// sleep waits in Go's netpoller until the set has events, and returns
// how many it read. The set is registered with the netpoller through a
// duplicate (waiter), which stays registered while the loop keeps
// sleeping and is dropped once it has not slept for keepWaiter: while
// it is registered, every event in the set is passed on to the
// netpoller's set too, in the system call that caused it, which is what
// the loop is there to avoid; but registering costs system calls of its
// own, too many to pay for every sleep when clients pipeline and the
// loop sleeps between most rounds.
func (l *evLoop) sleep() int {
	if l.waiter == nil {
		fd, err := dupCloexec(l.epfd)
		if err != nil {
			time.Sleep(time.Millisecond)
			return 0
		}
		f := os.NewFile(uintptr(fd), "event-loop")
		rc, err := f.SyscallConn()
		if err != nil {
			f.Close()
			time.Sleep(time.Millisecond)
			return 0
		}
		// Registering counts as waiting, for dropWaiter: a loop whose
		// first look finds events would otherwise register anew each
		// round.
		l.waiter, l.waitRC, l.slept = f, rc, ticks.Now()
	}
	l.woke, l.looks = 0, 0
	l.waitRC.Read(l.waitFn)
	if l.looks > 1 {
		// It waited: the netpoller ran.
		l.slept = ticks.Now()
		l.yielded = l.slept
	}
	return l.woke
}

// waitStep is the waiter's RawConn callback: it ends the wait once the
// set has events.
func (l *evLoop) waitStep(uintptr) bool {
	l.looks++
	l.woke = l.poll()
	return l.woke > 0
}

// keepWaiter is how long the waiter stays registered after the loop
// last waited.
const keepWaiter = time.Millisecond

// dropWaiter drops the waiter's registration if the loop has not waited
// for keepWaiter.
func (l *evLoop) dropWaiter(now ticks.Stamp) {
	if l.waiter != nil && ticks.Between(l.slept, now) >= keepWaiter {
		l.waiter.Close()
		l.waiter, l.waitRC = nil, nil
	}
}

// serve handles n events: it reads and runs every ready client, writes
// the round's replies, then takes in the queues. It reports whether the
// loop is done (stopped with no clients left).
func (l *evLoop) serve(n int) bool {
	kicked := false
	for i := range l.events[:n] {
		fd := l.events[i].Fd
		if fd < 0 {
			kicked = true
			continue
		}
		if lc := l.byFd[fd]; lc != nil {
			if lc.window != l.window {
				lc.window = l.window
				l.active++
			}
			l.read(lc)
		}
	}
	l.flush()
	if kicked {
		return l.queues()
	}
	return false
}

// queues drains the eventfd and takes in the adopted and woken clients.
func (l *evLoop) queues() bool {
	var cnt uint64
	syscall.RawSyscall(syscall.SYS_READ, uintptr(l.kick), uintptr(unsafe.Pointer(&cnt)), 8)
	l.mu.Lock()
	adopted, woken, stopped := l.adopted, l.woken, l.stopped
	l.adopted, l.woken = nil, nil
	l.mu.Unlock()
	for _, sc := range adopted {
		lc := &looped{sc: sc, fd: int(sc.lfd)}
		lc.in.c = sc.client
		l.byFd[sc.lfd] = lc
		// The socket leaves the netpoller (see the doc above).
		sc.Conn.Close()
		ev := syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLRDHUP | epollET, Fd: sc.lfd}
		if syscall.EpollCtl(l.epfd, syscall.EPOLL_CTL_ADD, lc.fd, &ev) != nil {
			l.release(lc, handRun)
			continue
		}
		// Input that came before the registration raised no event.
		l.read(lc)
	}
	for _, sc := range woken {
		if lc := l.byFd[sc.lfd]; lc != nil && lc.sc == sc {
			l.release(lc, handPoke)
		} else {
			// Woken before it was adopted (both in one look): adopted
			// above, released now; or already released.
			sc.wakeQueued.Store(false)
		}
	}
	l.flush()
	return stopped && len(l.byFd) == 0
}

// read reads what lc's socket holds and runs the complete requests.
func (l *evLoop) read(lc *looped) {
	c := lc.sc.client
	for {
		b := lc.in.space()
		r, err := sockRead(uintptr(lc.fd), b)
		switch {
		case err == syscall.EINTR:
			continue
		case err == syscall.EAGAIN:
			lc.in.idle()
			return
		case err != nil || r == 0:
			// The goroutine finds the end too, and cleans up.
			l.release(lc, handRun)
			return
		}
		if !lc.in.add(r) {
			syscall.Shutdown(lc.fd, syscall.SHUT_RDWR)
			l.release(lc, handRun)
			return
		}
		if c.parser.Need() <= lc.in.n && !l.runBatch(lc) {
			return
		}
		if need := c.parser.Need(); need > lc.in.n && need > readBufSize {
			// A big request: the client's goroutine reads it, and pays
			// for what it allocates (the collector's assists among it)
			// without holding up the other clients.
			l.release(lc, handRun)
			return
		}
		if r < len(b) {
			lc.in.idle()
			return
		}
	}
}

// runBatch runs lc's complete requests; false: the client left the
// loop.
func (l *evLoop) runBatch(lc *looped) bool {
	c := lc.sc.client
	if l.s.lua.engine.Running() {
		// A script holds the engine: the goroutine answers BUSY if it
		// runs long.
		l.release(lc, handRun)
		return false
	}
	consumed, closeNow, out := c.process(lc.in.buf[:lc.in.n])
	if consumed > 0 {
		lc.in.n = copy(lc.in.buf, lc.in.buf[consumed:lc.in.n])
	}
	if len(lc.out) == 0 {
		// The engine's buffer itself; flush gives it back as the spare.
		lc.out = out
	} else {
		// A second batch in one round (a read that filled the buffer).
		lc.out = append(lc.out, out...)
		if cap(out) <= keepWriteBuf {
			c.spare = out[:0]
		}
	}
	if !lc.queued {
		lc.queued = true
		l.round = append(l.round, lc)
	}
	switch {
	case closeNow:
		l.release(lc, handClose)
		return false
	case lc.sc.handBack != 0:
		l.release(lc, lc.sc.handBack)
		return false
	}
	return true
}

// flush writes the round's replies.
func (l *evLoop) flush() {
	for _, lc := range l.round {
		lc.queued = false
		if lc.fd < 0 {
			continue
		}
		out := lc.out
		for len(out) > 0 {
			m, err := sockWrite(uintptr(lc.fd), out)
			if err == syscall.EINTR {
				continue
			}
			if err != nil {
				break
			}
			out = out[m:]
		}
		l.s.stats.netOut.Add(int64(len(lc.out) - len(out)))
		if len(out) > 0 {
			// The socket is full: the goroutine writes the rest,
			// waiting as it does.
			lc.out = out
			l.release(lc, handRun)
			continue
		}
		if c := lc.sc.client; cap(lc.out) <= keepWriteBuf && c.spare == nil {
			c.spare = lc.out[:0]
		}
		lc.out = nil
	}
	clear(l.round)
	l.round = l.round[:0]
}

// count adds a batch of n commands to the running mean. Called by
// process for the loop's clients, on the loop goroutine.
func (l *evLoop) count(n int) {
	l.mean += (int32(min(n, 1<<20))<<4 - l.mean) / 8
}

// release gives lc's client back to a goroutine: the descriptor
// becomes a net.Conn again, and the goroutine starts with the input the
// loop held and the replies it had not written yet, and goes on as how
// says.
func (l *evLoop) release(lc *looped, how uint8) {
	if lc.fd < 0 {
		return
	}
	sc := lc.sc
	delete(l.byFd, int32(lc.fd))
	syscall.EpollCtl(l.epfd, syscall.EPOLL_CTL_DEL, lc.fd, nil)
	f := os.NewFile(uintptr(lc.fd), "")
	conn, err := net.FileConn(f)
	f.Close()
	lc.fd = -1
	h := &handoff{in: lc.in, out: lc.out, how: how}
	lc.in, lc.out = input{}, nil
	sc.handBack = 0
	sc.wakeQueued.Store(false)
	if err == nil {
		if how == handPoke {
			conn.SetReadDeadline(time.Unix(1, 0))
		}
		// Write's writer was bound to the old descriptor.
		sc.Conn, sc.raw, sc.w = conn, rawConn(conn), nil
	}
	// Otherwise the goroutine's first read fails on the closed conn,
	// and it cleans up.
	sc.state.Store(awake)
	if err == nil && sc.shut.Load() {
		shutdownSock(sc.raw)
	}
	go sc.client.serveFrom(h)
}

// writeNow writes b to the socket of sc, the loop's client, before the
// round's replies: processBusy's answers, made while a script holds the
// engine. On the loop goroutine.
func (l *evLoop) writeNow(sc *sockConn, b []byte) {
	if lc := l.byFd[sc.lfd]; lc != nil && lc.sc == sc && len(lc.out) > 0 {
		// The replies of a batch before, first.
		out := lc.out
		lc.out = nil
		l.writeNow(sc, out)
	}
	for len(b) > 0 {
		m, err := sockWrite(uintptr(sc.lfd), b)
		switch {
		case err == syscall.EAGAIN || err == syscall.EINTR:
			runtime.Gosched()
		case err != nil:
			return
		default:
			b = b[m:]
		}
	}
}

// dupCloexec duplicates fd with close-on-exec set.
func dupCloexec(fd int) (int, error) {
	r, _, errno := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_DUPFD_CLOEXEC, 0)
	if errno != 0 {
		return -1, errno
	}
	return int(r), nil
}
