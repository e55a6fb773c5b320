/* dlc runtime: the thread pool that runs a model's parallel loops.
 *
 * One pool per model library, started on first use. dlc_parallel_for splits
 * [0, count) into a few contiguous chunks per thread (DLC_CHUNKS_PER_THREAD)
 * and publishes the loop; the calling thread and the workers then take
 * chunks one at a time until none is left, so a thread that wakes late or is
 * preempted (a shared or virtual machine) delays the loop by at most the
 * chunk it holds: the others take the rest. The caller returns once every
 * chunk has run; a worker that wakes after its loop is over finds nothing
 * to take.
 * Between loops a worker spins for a while (a model's next parallel loop
 * usually follows within microseconds, and waking a sleeping thread costs
 * tens of them, far more on a virtual machine), then sleeps on a condition
 * variable; the caller waits for the last chunk the same way. When the
 * library is unloaded (dlclose, or the process exits) a destructor stops and
 * joins the workers, so that no thread is left running code that is about
 * to be unmapped. Plain C11 with POSIX threads (in libc on glibc 2.34 and
 * later).
 */
#define _GNU_SOURCE
#include "dlc/runtime.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#define DLC_MAX_THREADS 256

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t work_ready = PTHREAD_COND_INITIALIZER;
static pthread_cond_t work_done = PTHREAD_COND_INITIALIZER;
/* Serializes callers: one parallel loop at a time uses the pool. */
static pthread_mutex_t caller = PTHREAD_MUTEX_INITIALIZER;

/* 0: all online cores; read by callers without `caller` held. */
static atomic_int requested = 0;
static int32_t started = 0; /* worker threads running (threads - 1) */
static pthread_t workers[DLC_MAX_THREADS];
static uint64_t first_generation[DLC_MAX_THREADS];
/* Written under `lock`; read without it only while spinning. */
static atomic_int stopping = 0;
static _Atomic uint64_t generation = 0;
/* The loop's next chunk to take, tagged with the loop's generation in the
   high bits so that a worker still holding an older loop takes nothing. */
static _Atomic uint64_t next_chunk = 0;
#define DLC_CHUNK_BITS 24
/* Chunks not yet finished; the last thread to finish one signals. */
static _Atomic int64_t unfinished = 0;

#define DLC_CHUNKS_PER_THREAD 4

/* About 50-100 microseconds of polling before sleeping. */
#define DLC_SPIN_ROUNDS 20000

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

/* Nonzero while this thread runs a task of the pool: an allocation that
   fails there jumps out of the chunk (see runtime.c). */
_Thread_local int dlc_pool_task_depth = 0;
extern _Thread_local jmp_buf *dlc_task_failure;
extern _Thread_local const void *dlc_task_run;
const void *dlc_current_run(void);
void dlc_task_out_of_memory(void);

static dlc_task_fn task;
static void *task_context;
static int64_t task_count;
static int64_t task_chunks;
static int32_t task_threads;
static const void *task_run; /* the caller's run, for the chunks' blocks */
/* Set when a chunk of the current loop failed to allocate. */
static atomic_int task_failed = 0;

static int32_t online_cores(void) {
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  return cores < 1 ? 1 : (cores > DLC_MAX_THREADS ? DLC_MAX_THREADS : cores);
}

void dlc_set_num_threads(int32_t threads) {
  atomic_store(&requested, threads < 0 ? 0 : threads);
}

int32_t dlc_get_num_threads(void) {
  int32_t wanted = atomic_load(&requested);
  int32_t threads = wanted > 0 ? wanted : online_cores();
  return threads > DLC_MAX_THREADS ? DLC_MAX_THREADS : threads;
}

/* Runs one chunk for `run`; a failed allocation in it jumps back here and
   marks the loop failed (its caller then unwinds the run). */
static void run_chunk(dlc_task_fn fn, void *context, int64_t begin, int64_t end,
                      const void *run) {
  jmp_buf failure;
  jmp_buf *outer_failure = dlc_task_failure;
  const void *outer_run = dlc_task_run;
  int depth = dlc_pool_task_depth;
  dlc_task_run = run;
  dlc_task_failure = &failure;
  if (setjmp(failure) == 0) {
    ++dlc_pool_task_depth;
    fn(context, begin, end);
  } else {
    atomic_store(&task_failed, 1);
  }
  dlc_pool_task_depth = depth;
  dlc_task_failure = outer_failure;
  dlc_task_run = outer_run;
}

/* Takes and runs chunks of loop `loop` (a generation) until none is left;
   returns how many it ran. Called with the task fields of that loop read. */
static int64_t run_chunks(uint64_t loop, dlc_task_fn fn, void *context,
                          int64_t count, int64_t chunks, const void *run) {
  int64_t ran = 0;
  uint64_t tag = loop << DLC_CHUNK_BITS;
  uint64_t current = atomic_load_explicit(&next_chunk, memory_order_acquire);
  while ((current & ~(((uint64_t)1 << DLC_CHUNK_BITS) - 1)) == tag) {
    int64_t chunk = (int64_t)(current - tag);
    if (chunk >= chunks)
      break;
    if (!atomic_compare_exchange_weak_explicit(
            &next_chunk, &current, current + 1, memory_order_acq_rel,
            memory_order_acquire))
      continue; /* `current` now holds the newer value */
    int64_t begin = count * chunk / chunks;
    int64_t end = count * (chunk + 1) / chunks;
    if (begin < end)
      run_chunk(fn, context, begin, end, run);
    ++ran;
    current = atomic_load_explicit(&next_chunk, memory_order_acquire);
  }
  return ran;
}

static void *worker(void *argument) {
  int32_t index = (int32_t)(intptr_t)argument;
  /* Loops published before this thread existed are not its business. */
  uint64_t seen = first_generation[index];
  for (;;) {
    for (int round = 0;
         round < DLC_SPIN_ROUNDS &&
         atomic_load_explicit(&generation, memory_order_acquire) == seen &&
         !atomic_load_explicit(&stopping, memory_order_relaxed);
         ++round)
      cpu_relax();
    pthread_mutex_lock(&lock);
    while (generation == seen && !stopping)
      pthread_cond_wait(&work_ready, &lock);
    if (stopping) {
      pthread_mutex_unlock(&lock);
      return NULL;
    }
    seen = generation;
    dlc_task_fn fn = task;
    void *context = task_context;
    int64_t count = task_count, chunks = task_chunks;
    const void *run = task_run;
    int joins = index < task_threads; /* the loop may want fewer threads */
    pthread_mutex_unlock(&lock);
    int64_t ran = joins ? run_chunks(seen, fn, context, count, chunks, run) : 0;
    if (ran > 0) {
      pthread_mutex_lock(&lock);
      if (atomic_fetch_sub(&unfinished, ran) == ran)
        pthread_cond_signal(&work_done);
      pthread_mutex_unlock(&lock);
    }
  }
  return NULL;
}

/* Starts workers up to `threads - 1`; returns how many threads can run.
   Called with `caller` held, so no loop is being published meanwhile. */
static int32_t ensure_workers(int32_t threads) {
  while (started < threads - 1) {
    int32_t index = started + 1;
    pthread_mutex_lock(&lock);
    first_generation[index] = generation;
    pthread_mutex_unlock(&lock);
    if (pthread_create(&workers[index], NULL, worker,
                       (void *)(intptr_t)index) != 0)
      break; /* run with the threads there are */
    ++started;
  }
  return started + 1 < threads ? started + 1 : threads;
}

/* Runs when the library is unloaded or the process exits. */
__attribute__((destructor)) static void stop_workers(void) {
  pthread_mutex_lock(&lock);
  stopping = 1;
  pthread_cond_broadcast(&work_ready);
  pthread_mutex_unlock(&lock);
  for (int32_t index = 1; index <= started; ++index)
    pthread_join(workers[index], NULL);
  started = 0;
}

void dlc_parallel_for(int64_t count, dlc_task_fn fn, void *context) {
  if (count <= 0)
    return;
  /* A loop inside a chunk (a model run per sample on each thread) runs on
     the chunk's thread: the pool is busy with the outer loop. */
  if (dlc_pool_task_depth > 0) {
    fn(context, 0, count);
    return;
  }
  int32_t threads = dlc_get_num_threads();
  if (threads > count)
    threads = (int32_t)count;
  if (threads <= 1) {
    fn(context, 0, count);
    return;
  }
  pthread_mutex_lock(&caller);
  threads = ensure_workers(threads);
  int64_t chunks = (int64_t)threads * DLC_CHUNKS_PER_THREAD;
  if (chunks > count)
    chunks = count;
  pthread_mutex_lock(&lock);
  task = fn;
  task_context = context;
  task_count = count;
  task_chunks = chunks;
  task_threads = threads;
  task_run = dlc_current_run();
  atomic_store(&task_failed, 0);
  atomic_store(&unfinished, chunks);
  uint64_t loop = ++generation;
  atomic_store(&next_chunk, loop << DLC_CHUNK_BITS);
  pthread_cond_broadcast(&work_ready);
  pthread_mutex_unlock(&lock);
  int64_t ran = run_chunks(loop, fn, context, count, chunks, task_run);
  atomic_fetch_sub(&unfinished, ran);
  for (int round = 0;
       round < DLC_SPIN_ROUNDS &&
       atomic_load_explicit(&unfinished, memory_order_acquire) > 0;
       ++round)
    cpu_relax();
  pthread_mutex_lock(&lock);
  while (atomic_load(&unfinished) > 0)
    pthread_cond_wait(&work_done, &lock);
  int failed = atomic_load(&task_failed);
  pthread_mutex_unlock(&lock);
  pthread_mutex_unlock(&caller);
  /* Every chunk is over: the run can unwind. */
  if (failed)
    dlc_task_out_of_memory();
}
