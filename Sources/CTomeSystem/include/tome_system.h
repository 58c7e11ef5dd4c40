// Linux calls Swift cannot reach by itself: glibc declares them only under
// _GNU_SOURCE (posix_spawn_file_actions_addclosefrom_np), or they are
// variadic (prctl). Each wrapper is one call; tome_system.c defines them.
#ifndef TOME_SYSTEM_H
#define TOME_SYSTEM_H

#include <spawn.h>

/// Adds to `actions` "close every descriptor from `lowest` up" (glibc 2.34+):
/// a spawned child inherits only what the actions give it.
int tome_spawn_close_from(posix_spawn_file_actions_t *actions, int lowest);

/// PR_SET_PDEATHSIG with SIGKILL: this process is killed when the thread
/// that spawned it ends (its parent daemon killed included).
int tome_die_with_parent(void);

/// Sets the calling thread's nice value (Linux schedules threads one by
/// one: setpriority on the thread id touches this thread only).
int tome_set_thread_nice(int nice);

#endif
