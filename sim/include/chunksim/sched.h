/*
 * chunksim_sched: the simulator's clock and event scheduler.
 *
 * libuv has no pluggable clock, so chunksim owns this one small interface with
 * two backends. Both run inside uv_run() on the caller's loop, and in both a
 * callback always arrives from the loop, never inline from the call that
 * scheduled it, exactly as a completion does on a board.
 *
 * VIRTUAL (the default, used by CI): events wait in a binary min-heap ordered
 * by (time_us, sequence number), so events at equal times run in the order
 * they were scheduled. One uv_idle handle pops the earliest events each loop
 * turn (up to 1024: every turn polls for I/O with a system call, which at
 * one event per turn was most of a drain's wall time), advancing the virtual
 * clock to each one's time and running its callback. An idle handle is used
 * because while it is active libuv polls for I/O without blocking and calls
 * it once per turn: nothing sleeps, other handles on the loop still get
 * their turn between batches, and stopping it when the heap is empty lets
 * uv_run() return. A zero-timeout uv_timer would do the same, but
 * libuv's order for timers due at the same instant changed between 1.44 and
 * 1.45, and which timers run in a turn depends on its cached clock; the idle
 * handle keeps the trace independent of both.
 *
 * REALTIME (soak runs, wall-clock experiments): the same heap, the same
 * order and the same clock, paced by the wall clock: an event runs once
 * CLOCK_MONOTONIC has reached its deadline, start + time_us * realtime_scale
 * (0.1 runs ten times faster than modelled). The model clock is not the
 * measured one: while an event's callback runs, chunksim_sched_now_us() is
 * the time the event was due, not the moment the host got to it, exactly as
 * in VIRTUAL. A board does its work at the instant it is due; a host runs
 * the callback some microseconds late, and if that lateness entered the
 * model, every "now + delay" would carry it forward, the run would drift
 * from its own schedule (and past its watchdog), and a model that compares
 * times, such as a BLE connection event that a chunk must still fit, would
 * see a gap that a board never has. So host latency delays the wall clock
 * only, never the trace: a realtime run produces the virtual run's trace,
 * at the virtual run's pace. Deadlines are absolute, so a late callback
 * does not push the later ones out: the loop catches up.
 *
 * The pacing timer is a timerfd (CLOCK_MONOTONIC, absolute expiry) watched
 * by a uv_poll handle, not a uv_timer: uv_timer counts whole milliseconds
 * from a cached loop time, so every sub-millisecond delay (a BLE packet
 * exchange, a flash read; all of them below scale 1) cost at least 1 ms and
 * a run's wall time depended on how many events it had. A timerfd honours
 * the deadline to the kernel's timer slack (tens of microseconds); it is
 * Linux's, as the tool's host is. One timer for the heap rather than one
 * per event keeps equal deadlines in scheduling order and lets events be
 * plain caller-owned structs that can be freed the moment they ran or were
 * cancelled.
 *
 * chunksim_sched_work() runs a modelled operation (a flash read, an erase) for
 * a duration: in REALTIME on the libuv thread pool with a real sleep until
 * the operation's deadline, so the completion comes from another thread's
 * work as with DMA on hardware; in VIRTUAL as an event after that much
 * virtual time. Callers use one API. In both modes the completion is an
 * event in the heap at start + duration, so it runs in (time, sequence)
 * order with the other events; in REALTIME the loop waits for a pool thread
 * that is late rather than running later events first.
 *
 * Lifecycle (libuv's init -> use -> close): chunksim_sched_init(), schedule,
 * uv_run(); chunksim_sched_close() drops every pending event and work request
 * (their callbacks never run) and closes the handle; after its close_cb has
 * run, the loop holds nothing of the scheduler and uv_loop_close() succeeds.
 *
 * Errors are chunksim codes (chunksim/error.h): CHUNKSIM_E_INVAL, CHUNKSIM_E_BUSY,
 * CHUNKSIM_E_NOENT, and -ENOMEM.
 *
 * Not thread-safe: every function must be called on the loop's thread, except
 * that a work_fn runs on the thread pool (and must not call into the
 * scheduler).
 */
#ifndef CHUNKSIM_SCHED_H
#define CHUNKSIM_SCHED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "chunksim/error.h"

typedef struct chunksim_sched chunksim_sched_t;
typedef struct chunksim_event chunksim_event_t;
typedef struct chunksim_work chunksim_work_t;

typedef enum chunksim_sched_mode {
    CHUNKSIM_SCHED_VIRTUAL = 0,
    CHUNKSIM_SCHED_REALTIME = 1,
} chunksim_sched_mode_t;

typedef struct chunksim_sched_config {
    chunksim_sched_mode_t mode;
    /* REALTIME only: real delay = modelled delay * realtime_scale; > 0.
     * Zero means 1.0, so a zero-initialised config is valid. */
    double realtime_scale;
} chunksim_sched_config_t;

/* Runs on the loop when an event is due; ev->data is the caller's. */
typedef void (*chunksim_event_cb)(chunksim_event_t *ev);
/* Runs on the thread pool (REALTIME) or the loop (VIRTUAL) once the
 * operation's duration has elapsed, just before its done callback. */
typedef void (*chunksim_work_fn)(chunksim_work_t *w);
/* Runs on the loop when a work request has completed. */
typedef void (*chunksim_work_cb)(chunksim_work_t *w);
typedef void (*chunksim_sched_cb)(chunksim_sched_t *sched);

/*
 * An event: caller-owned, no init needed. While pending it must stay valid
 * and must not be scheduled again (CHUNKSIM_E_BUSY); once its callback has started,
 * or after it was cancelled, it may be rescheduled or freed, also from inside
 * its own callback.
 */
struct chunksim_event {
    void *data; /* the caller's */
    /* read-only: when the event is (or was last) due, in model us */
    uint64_t time_us;
    /* private */
    chunksim_sched_t *sched;
    chunksim_event_cb cb;
    uint64_t seq;
    size_t heap_index;
};

/*
 * A work request: caller-owned, no init needed; stays valid until its done
 * callback has started or it was cancelled, or, if the scheduler is closed
 * while it is in flight, until the scheduler's close_cb.
 */
struct chunksim_work {
    void *data; /* the caller's */
    /* read-only */
    uint64_t duration_us;
    /* private */
    chunksim_sched_t *sched;
    chunksim_work_fn work_fn;
    chunksim_work_cb done_cb;
    chunksim_event_t ev; /* the completion event, pending while in flight */
    /* REALTIME: the thread-pool request until work_fn has run (NULL after) */
    struct chunksim_rt_work *rt;
};

/* Caller-owned; fields are private except data. */
struct chunksim_sched {
    void *data; /* the caller's */
    /* private */
    uv_loop_t *loop;
    chunksim_sched_mode_t mode;
    double realtime_scale;
    union {
        uv_idle_t idle; /* VIRTUAL */
        uv_poll_t poll; /* REALTIME: watches timer_fd */
    } handle;
    int timer_fd; /* REALTIME: a timerfd armed for the next deadline */
    chunksim_event_t **heap;
    size_t heap_len;
    size_t heap_cap;
    uint64_t next_seq;
    uint64_t now_us;   /* the model clock, both modes */
    uint64_t start_ns; /* REALTIME: CLOCK_MONOTONIC at model time 0 */
    uint64_t limit_us;
    chunksim_sched_cb limit_cb;
    bool limit_reached;
    bool closing;
    bool handle_closed;
    chunksim_sched_cb close_cb;
    uint64_t events_run;
    /* REALTIME work: the list is touched on the loop only; each request's
     * state and the wake-up of sleeping workers go through the mutex. */
    struct chunksim_rt_work *rt_works;
    size_t rt_in_flight;
    uv_mutex_t rt_mutex;
    uv_cond_t rt_cond;
};

/*
 * Initialises sched on loop. config may be NULL (VIRTUAL). Returns 0, or
 * CHUNKSIM_E_INVAL for an unknown mode or a realtime_scale that is negative, NaN or
 * infinite. The virtual clock starts at 0; the realtime clock starts now.
 */
int chunksim_sched_init(chunksim_sched_t *sched, uv_loop_t *loop,
                        const chunksim_sched_config_t *config);

/*
 * The current time in model microseconds, in both modes: the time of the
 * event being run (when it was due, not when the host ran it), or of the
 * last one run; 0 before the first. In REALTIME the wall clock decides when
 * events run, and does not show here.
 */
uint64_t chunksim_sched_now_us(const chunksim_sched_t *sched);

/*
 * Schedules cb(ev) to run delay_us model microseconds from now (saturating at
 * UINT64_MAX); sets ev->data = data. Returns 0; CHUNKSIM_E_INVAL if cb is NULL or
 * the scheduler is closing; CHUNKSIM_E_BUSY if ev is already pending; -ENOMEM.
 */
int chunksim_sched_at(chunksim_sched_t *sched, chunksim_event_t *ev, uint64_t delay_us,
                      chunksim_event_cb cb, void *data);

/* Removes a pending event; its callback will not run. Returns 0, or
 * CHUNKSIM_E_NOENT if ev was not pending (already run, cancelled or never
 * scheduled), which is harmless. */
int chunksim_sched_cancel(chunksim_sched_t *sched, chunksim_event_t *ev);

/* True while ev waits to run. */
bool chunksim_sched_is_pending(const chunksim_sched_t *sched, const chunksim_event_t *ev);

/*
 * Starts an operation lasting duration_us model microseconds. When it is
 * over, work_fn(w) (may be NULL) and then done_cb(w) run: in REALTIME,
 * work_fn on the thread pool once the wall clock has reached the
 * operation's deadline, done_cb on the loop as the event at now +
 * duration_us; in VIRTUAL, both on the loop when the virtual clock reaches
 * now + duration_us. Either way done_cb sees now + duration_us as the
 * current time. Returns 0; CHUNKSIM_E_INVAL if
 * done_cb is NULL or the scheduler is closing; CHUNKSIM_E_BUSY if w is in flight;
 * -ENOMEM.
 */
int chunksim_sched_work(chunksim_sched_t *sched, chunksim_work_t *w, uint64_t duration_us,
                        chunksim_work_fn work_fn, chunksim_work_cb done_cb);

/*
 * Cancels a work request in flight; neither work_fn nor done_cb will run and
 * w may be freed at once. A sleeping REALTIME request is woken, so cancelling
 * a long operation does not hold a pool thread for its duration. Returns 0;
 * CHUNKSIM_E_BUSY if work_fn is already running or has run on the pool (done_cb
 * will follow as usual); CHUNKSIM_E_NOENT if w was not in flight.
 */
int chunksim_sched_work_cancel(chunksim_sched_t *sched, chunksim_work_t *w);

/*
 * Watchdog: events due after max_us (model time) never run. When the next
 * event is due after it, the scheduler stops running events, reports it
 * through chunksim_sched_limit_reached() and limit_cb (may be NULL), and
 * leaves the remaining events pending, so a run that would never finish
 * ends, uv_run() returns and the run can be recorded as incomplete. The
 * clock is not moved past the last event run. In REALTIME the limit is
 * reported once the wall clock reaches max_us's deadline (the run lasts as
 * long as it would on a board); the model clock stays where VIRTUAL leaves
 * it, and work due after max_us does not complete either. UINT64_MAX (the
 * default) means none.
 */
void chunksim_sched_set_limit(chunksim_sched_t *sched, uint64_t max_us, chunksim_sched_cb limit_cb);

/* True once the limit has stopped the scheduler. */
bool chunksim_sched_limit_reached(const chunksim_sched_t *sched);

/* Events waiting, work requests in flight included. */
size_t chunksim_sched_pending_count(const chunksim_sched_t *sched);

/* Event callbacks run so far, work completions included. */
uint64_t chunksim_sched_events_run(const chunksim_sched_t *sched);

/*
 * Drops every pending event and work request without running their
 * callbacks (a work_fn already running on the pool finishes, its done_cb does
 * not run), wakes sleeping workers and closes the libuv handle. close_cb (may
 * be NULL) runs from the loop once nothing of the scheduler remains in it;
 * from then on sched, its events and work requests may be freed. May be
 * called from any callback; a second call does nothing.
 */
void chunksim_sched_close(chunksim_sched_t *sched, chunksim_sched_cb close_cb);

#endif
