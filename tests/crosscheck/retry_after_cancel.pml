/*
 * retry-after-cancel in Promela: an independent, hand-written model of unpack-race's
 * scenario scenarios/retry_after_cancel.py (containerd issue 3787, containerd-semantics
 * section 5.1), for SPIN 6.5. tests/crosscheck/test_spin.py verifies it over a grid of
 * parameters and holds SPIN's verdicts, state counts and counterexample trails against
 * unpack-race's own search (docs/spin-crosscheck.md).
 *
 * Granularity. One Promela transition per model effect: every step of a process is one
 * d_step (or, for the final-state monitor, one atomic) guarded by the process's explicit
 * program counter `pc` and by the effect's `enabled()`. A process is a `do` loop over
 * those d_steps, so SPIN's own program counter never moves (there is no transition
 * between two effects, no process ever terminates, and no intermediate state is
 * stored): a SPIN state is the world plus each process's locals, as an unpack-race state
 * is the world's fingerprint plus each actor's history.
 *
 * Processes (pids in this order), and the model/ generator each mirrors:
 *   pull[0]  "pull-1"   model/client.py pull_image (CRI PullImage over client.Pull)
 *   pull[1]  "pull-2"   the same, waiting for the kubelet's retry (only with CANCEL)
 *            with model/unpacker.py unpack/do_unpack/_unpack_layer inside
 *   kubelet             model/kubelet.py kubelet (only with CANCEL)
 *   gc                  model/collector.py garbage_collector
 *   final_state         no actor: the checks unpack-race makes at a final state
 *                       (the deadlock check and pull-completes), see below
 *
 * Parameters (-D macros; the default of each is the scenario's):
 *   LAYERS=1..4        --layers (the grid checks 1 to 3)
 *   GC_POLICY=0|1|2    --gc-policy scheduler | any | dirty
 *   GC_RUNS=0..5       --gc-runs (bounds `any` and `dirty` only)
 *   STAT_EARLY=0|1     the variant's skip check (model/unpacker.py stat_early_return)
 *   LEASE_PREPARE=0|1  PR 10187's createSnapshot-T1 half (model/switches.py)
 *   LEASE_COMMIT=0|1   PR 10187's Commit half
 *                      stat-early-return-no-lease 1 0 0, stat-early-return 1 1 1,
 *                      prepare-without-lease 0 0 0, prepare-with-lease 0 1 1
 *   OVERLAP=0|1        --overlap
 *   KMUTEX=0|1         --kmutex
 *   CANCEL=0|1         --cancel
 *   RETRY_FIRST=0|1    --order retry-then-cancel (1) or cancel-then-retry (0)
 *   ACQ_FIRST=0|1      the release's x/sync: Acquire fails on a cancelled ctx first
 *   ABORT_ON_CANCEL=0|1 the release's unpacker aborts on a cancelled wait (1.7, 2.0)
 *                      (model/releases.py: --release 2.0 is 1 1, 1.7 0 1, 1.6.39 1 0, 1.6 0 0)
 *   HISTORY=0|1        each pull also keeps the sequence of its steps' outcomes (see
 *                      "State counts" below)
 *   SEEK=0|1|2         make a `sometimes` property an assertion that fails where it is
 *                      reached: 1 retry-reuses-cancelled-layer, 2 gc-sweeps-committed-layer
 *
 * Properties (scenarios/invariants.py), as assertions:
 *   no-missing-parent     asserted at the end of every pull step (`checked`), as
 *                         unpack-race checks it after every step; only PrepareT1,
 *                         PrepareT2, Commit and Remove can see a missing parent;
 *   pull-completes        at every final state (the final_state monitor, `timeout`);
 *   no deadlock           at every final state: every pull and the kubelet have ended
 *                         (unpack-race's deadlock check; gc is a daemon, it may wait);
 *   gc-sweeps-only-unreachable is left out: it checks the Python GC's marking against
 *                         a second, networkx reachability over what the GC saw; here
 *                         the marking is itself a second implementation from the Go code
 *                         (core/metadata/gc.go), and a second copy inside this file could
 *                         only repeat it. That the two markings agree is what the state
 *                         counts and the replayed trails check.
 *   The sometimes properties are assertions only under SEEK (a pass of unpack-race says
 *   they were reached; SEEK asks SPIN to find a run that reaches them).
 *
 * State counts. unpack-race keys an actor's state by its whole history (the effects it
 * took and their outcomes, scheduler/kernel.py HistoryInterner), SPIN by its current
 * locals. Where two histories of one pull end in the same locals and the same world,
 * SPIN stores one state and unpack-race two. With HISTORY=1 each pull also keeps the
 * list of its steps' outcomes, which, the pull being deterministic, is its history: then
 * a SPIN state and an unpack-race state carry the same information and the counts must
 * be equal (with `spin -a -o2`, which keeps write-only variables such as `dirty` under
 * gc-policy any in the state vector, as unpack-race's fingerprint keeps them).
 *
 * Trails. Every step prints one line, `STEP <actor> <Effect> layer=.. attempt=.. out=..`
 * (the layer and attempt as they were when the step began, the outcome code E_* below),
 * before its assertions, so that `spin -t` replays a counterexample step by step up to
 * and including the violating one; tests/crosscheck/spin_trail.py turns those lines
 * into an unpack-race schedule.
 *
 * Naming: chain IDs are sha256:c1..cN (layer i = 0..N-1 is chain c(i+1)); an extraction
 * key is "extract-pull-<p+1>.<attempt> sha256:c<i+1>" (model/names.py extract_key),
 * indexed here as KEY(p, attempt); backend keys "k8s.io/<generation>/<key>".
 */

#ifndef LAYERS
#define LAYERS 2
#endif
#ifndef GC_POLICY
#define GC_POLICY 0
#endif
#ifndef GC_RUNS
#define GC_RUNS 1
#endif
#ifndef STAT_EARLY
#define STAT_EARLY 0
#endif
#ifndef LEASE_PREPARE
#define LEASE_PREPARE 1
#endif
#ifndef LEASE_COMMIT
#define LEASE_COMMIT 1
#endif
#ifndef OVERLAP
#define OVERLAP 1
#endif
#ifndef KMUTEX
#define KMUTEX 1
#endif
#ifndef CANCEL
#define CANCEL 1
#endif
#ifndef RETRY_FIRST
#define RETRY_FIRST 0
#endif
#ifndef ACQ_FIRST
#define ACQ_FIRST 1
#endif
#ifndef ABORT_ON_CANCEL
#define ABORT_ON_CANCEL 1
#endif
#ifndef HISTORY
#define HISTORY 0
#endif
#ifndef SEEK
#define SEEK 0
#endif

#define SCHEDULER 0
#define ANY 1
#define DIRTY 2

#if CANCEL
#define NPULLS 2
#else
#define NPULLS 1
#endif
#define TRIES 3                     /* model/unpacker.py PREPARE_TRIES */
#define MAXA (TRIES * LAYERS)       /* attempts a pull can make (one key each) */
#define NK (NPULLS * MAXA)          /* every extraction key any pull can make */
#define KEY(p, a) ((p) * MAXA + (a))
#define PL(p, i) ((p) * LAYERS + (i)) /* pull p's lease, chain or layer blob i */
#define THRESHOLD 100               /* model/world.py GcConfig.mutation_threshold */
#define HMAX (7 + 16 * LAYERS)      /* steps a pull can take, at most */

/* outcomes: 0 ok; an error, as the kernel's history tells them apart (its type and text);
   PrepareT1's success is 10 + the parent's backend generation (its result, (bkey, bparent),
   is the only one an actor reads) */
#define OK 0
#define E_TARGET_EXISTS 1  /* AlreadyExists: target snapshot "sha256:cN": already exists */
#define E_NAME_EXISTS 2    /* AlreadyExists: snapshot "<key or name>": already exists */
#define E_PARENT 3         /* NotFound: parent snapshot sha256:cN does not exist */
#define E_SNAPSHOT 4       /* NotFound: snapshot <key> does not exist */
#define E_LEASE 5          /* NotFound: lease does not exist */
#define E_CANCELED 6       /* Canceled: context canceled */
#define E_MISMATCH 7       /* InvalidArgument: mismatched parent */
#define E_CONTENT 8        /* NotFound: content digest <d> */
#define E_CHILD 9          /* FailedPrecondition: cannot remove snapshot with child */
#define T1_OK 10

/* a pull's program counter: the effect it will take next (model/client.py, model/unpacker.py) */
#define PC_AWAIT 1          /* AwaitPullRequest      client.py */
#define PC_CREATE_LEASE 2   /* CreateLease           leases.py (client.WithLease) */
#define PC_FETCH_MANIFEST 3 /* FetchBlob manifest    content.py */
#define PC_FETCH_CONFIG 4   /* FetchBlob config      content.py */
#define PC_LOCK 5           /* Lock                  kmutex.py (do_unpack) */
#define PC_STAT 6           /* Stat                  snapshotter.py (stat_early_return) */
#define PC_T1 7             /* PrepareT1             snapshotter.py (createSnapshot T1) */
#define PC_T2 8             /* PrepareT2             snapshotter.py (createSnapshot T2) */
#define PC_STAT_AE 9        /* Stat                  after Prepare's AlreadyExists */
#define PC_WAIT 10          /* WaitForLayerFetch     unpacker.py */
#define PC_COMMIT 11        /* Commit                snapshotter.py */
#define PC_REMOVE 12        /* Remove                snapshotter.py (_abort) */
#define PC_LABEL_LAYER 13   /* UpdateContentLabels   content.py (uncompressed) */
#define PC_UNLOCK 14        /* Unlock                kmutex.py, the layer done */
#define PC_UNLOCK_FAIL 15   /* Unlock                kmutex.py, the layer failed */
#define PC_LABEL_CONFIG 16  /* UpdateContentLabels   content.py (gc.ref.snapshot) */
#define PC_CREATE_IMAGE 17  /* CreateImage           images.py */
#define PC_DELETE_LEASE 18  /* DeleteLease           leases.py (the deferred done()) */
#define PC_END 19           /* returned */

/* ---- the world: model/world.py World, field by field ---------------------------------
   pulls: PullContext (lease set, requested, cancelled, returned); pull-1 starts requested */
bit req2;                       /* pull-2's `requested` */
bit cancelled[NPULLS];
bit returned[NPULLS];
bit has_lease[NPULLS];          /* PullContext.lease != "" */
/* leases: Lease "lease-pull-<p+1>" and what it holds (expiry: 24 h; the clock never moves) */
bit lease_exists[NPULLS];
bit lease_m[NPULLS];            /* content sha256:m0 (the manifest) */
bit lease_f[NPULLS];            /* content sha256:f0 (the config) */
bit lease_l[NPULLS * LAYERS];   /* content sha256:l<i+1> */
bit lease_c[NPULLS * LAYERS];   /* snapshot sha256:c<i+1> */
bit lease_x[NK];                /* snapshot extract key k (only its own pull's lease) */
/* content: Blob and its labels (the manifest's gc.ref.content labels are always there) */
bit m_exists;
bit f_exists;
bit f_ref;                      /* the config's gc.ref.snapshot.overlayfs = top chain ID */
bit l_exists[LAYERS];
bit l_unc[LAYERS];              /* the layer's containerd.io/uncompressed */
bit image;                      /* images["docker.io/library/app:latest"] = sha256:m0 */
/* snapshots: committed chain IDs (kind committed, parent c<i>, bkey k8s.io/<gen>/c<i+1>) */
bit c_exists[LAYERS];
byte c_gen[LAYERS];             /* generations[c<i+1>]: commits so far (backend keys 1..gen) */
bit child_c[LAYERS];            /* c<i+2> is in c<i+1>'s children */
/* snapshots: active extraction keys (kind active, parent c<i>, bkey k8s.io/1/<key>) */
bit x_exists[NK];
bit x_gen[NK];                  /* generations[key]: created by PrepareT1 */
byte x_layer[NK];               /* the layer the key extracts (part of its name) */
bit x_backend[NK];              /* backend[k8s.io/1/<key>] is there (active) */
bit x_creating[NK];             /* creating: between its PrepareT1 and PrepareT2 */
bit child_x[NK];                /* the key is in its parent's children (sweeps leave it) */
byte holder[LAYERS];            /* locks["sn://overlayfs/c<i+1>"]: 0 free, else pull p+1 */
bit dirty;                      /* db.dirty > 0 (all any step reads of it) */
byte mut;                       /* the GC scheduler's mutation count, as the fingerprint keeps
                                   it: min(count, THRESHOLD) while db.dirty == 0, else 0 */
bit finished[NPULLS];           /* the pull has returned (its actor ended) */
bit failed[NPULLS];             /* ... with an error */
bit kubelet_done;

/* the properties, named so that pan's "assertion violated <name>" says which */
hidden byte no_missing_parent = 1;
hidden byte pull_completes = 1;
hidden byte no_deadlock = 1;
hidden byte retry_reuses_cancelled_layer_never = 1;
hidden byte gc_sweeps_committed_layer_never = 1;
/* scratch for the GC's mark (hidden: not part of a state) */
hidden byte mk_m, mk_f, mk_l[LAYERS], mk_c[LAYERS], mk_x[NK];
hidden byte ti, tk, tp;
hidden byte existed;
hidden byte li, la;             /* the layer and attempt of the step being taken, for the trail */
hidden byte o;                  /* the outcome of the step being taken, for the trail */

/* World.updated(shard, n): one mutation event per committed write transaction, counted
   only under the GC scheduler (gc_config), and kept only where it can still decide
   whether a collection is due (world.py _mutations_key): not while db.dirty > 0 */
inline updated(n) {
#if GC_POLICY == SCHEDULER
    if
    :: !dirty -> mut = (mut + n >= THRESHOLD -> THRESHOLD : mut + n)
    :: else -> skip
    fi
#else
    skip
#endif
}

/* db.dirty++ (a deleting transaction); the count is then irrelevant until a collection */
inline make_dirty() {
    dirty = 1;
    mut = 0
}

/* a step that sees its parent missing says so here; the step asserts it last, after its
   printf, so that a replayed trail shows the violating step too */
inline missing_parent() {
    no_missing_parent = 0
}

/* SEEK: a sometimes property reached is reported as a failed assertion */
inline reached_reuse() {
#if SEEK == 1
    if
    :: p == 1 -> retry_reuses_cancelled_layer_never = 0
    :: else -> skip
    fi
#else
    skip
#endif
}

/* the end of every pull step: the assertions, after the step's printf */
inline checked() {
    assert(no_missing_parent);
    assert(retry_reuses_cancelled_layer_never)
}

/* the pull's history (HISTORY=1): the outcome of each step, in order */
inline outcome(code) {
    o = code;
#if HISTORY
    h[hn] = code;
    hn++
#endif
}

/* _unpack_layer's loop: a new try of Prepare with a new key (next(attempts)) */
inline begin_try() {
    k = KEY(p, att);
    att++;
    pc = PC_T1
}

/* do_unpack(i): Lock (with the kmutex), then the skip check (stat-early-return), then Prepare */
inline start_layer() {
    if
    :: i < LAYERS ->
        tries = 0;
        if
        :: KMUTEX -> pc = PC_LOCK
        :: !KMUTEX && STAT_EARLY -> pc = PC_STAT
        :: else -> begin_try()
        fi
    :: else -> pc = PC_LABEL_CONFIG  /* unpack: after the last layer, the config's label */
    fi
}

/* the layer is done (unpacked, found, or committed by someone else) */
inline layer_done() {
    if
    :: KMUTEX -> pc = PC_UNLOCK
    :: else -> i++; start_layer()
    fi
}

/* an error leaves _unpack_layer: do_unpack unlocks, pull_image's except runs done() */
inline layer_fail() {
    failed[p] = 1;
    if
    :: KMUTEX -> pc = PC_UNLOCK_FAIL
    :: else -> pc = PC_DELETE_LEASE
    fi
}

/* ---- a CRI pull: model/client.py pull_image, model/unpacker.py unpack -------------- */
active [NPULLS] proctype pull() {
    byte p = _pid;               /* 0: pull-1 (requested), 1: pull-2 (the retry) */
    byte pc = (_pid == 0 -> PC_CREATE_LEASE : PC_AWAIT);
    byte i;                      /* the layer being unpacked */
    byte att;                    /* next(attempts): the next attempt number */
    byte k;                      /* the current extraction key, KEY(p, attempt) */
    byte tries;                  /* Prepare tries of this layer so far, minus one */
    byte bpar;                   /* PrepareT1's result: the parent's backend generation */
    bit rm_fail;                 /* the abort's Remove is followed by the error (1) or the layer's end */
#if HISTORY
    byte h[HMAX];
    byte hn;
#endif
    do
    /* AwaitPullRequest(pull) (client.py): the CRI PullImage request arrives */
    :: d_step { pc == PC_AWAIT && req2 ->
        li = i; la = k - KEY(p, 0);
        outcome(OK);
        printf("STEP pull-%d AwaitPullRequest out=%d\n", p + 1, o); checked();
        pc = PC_CREATE_LEASE }
    /* CreateLease(lease, pull) (leases.py; client.WithLease): one write tx, on the ctx */
    :: d_step { pc == PC_CREATE_LEASE ->
        li = i; la = k - KEY(p, 0);
        lease_exists[p] = 1; has_lease[p] = 1; updated(1);
        outcome(OK);
        printf("STEP pull-%d CreateLease out=%d\n", p + 1, o); checked();
        pc = PC_FETCH_MANIFEST }
    /* FetchBlob(manifest) (content.py fetch/write_blob): a cancelled ctx fails; else the
       blob (with its children labels) is written or found, and leased */
    :: d_step { pc == PC_FETCH_MANIFEST ->
        li = i; la = k - KEY(p, 0);
        if
        :: cancelled[p] -> outcome(E_CANCELED); failed[p] = 1; pc = PC_DELETE_LEASE
        :: else ->
            existed = m_exists; m_exists = 1; lease_m[p] = 1;
            updated((existed -> 1 : 2) + 1 + 1); existed = 0;
            outcome(OK); pc = PC_FETCH_CONFIG
        fi;
        printf("STEP pull-%d FetchBlob what=manifest out=%d\n", p + 1, o); checked() }
    /* FetchBlob(config) */
    :: d_step { pc == PC_FETCH_CONFIG ->
        li = i; la = k - KEY(p, 0);
        if
        :: cancelled[p] -> outcome(E_CANCELED); failed[p] = 1; pc = PC_DELETE_LEASE
        :: else ->
            existed = f_exists; f_exists = 1; lease_f[p] = 1;
            updated((existed -> 1 : 2) + 1); existed = 0;
            outcome(OK); i = 0; start_layer()
        fi;
        printf("STEP pull-%d FetchBlob what=config out=%d\n", p + 1, o); checked() }
    /* Lock(sn://overlayfs/<chain>, pull) (kmutex.py): enabled while the key is free or the
       ctx cancelled; a cancelled ctx fails it (on a free key only with x/sync v0.7.0+) */
    :: d_step { pc == PC_LOCK && (holder[i] == 0 || cancelled[p]) ->
        li = i; la = k - KEY(p, 0);
        if
        :: cancelled[p] && (ACQ_FIRST || holder[i] != 0) ->
            outcome(E_CANCELED); failed[p] = 1; pc = PC_DELETE_LEASE  /* nothing held: no Unlock */
        :: else ->
            holder[i] = p + 1; outcome(OK);
            if
            :: STAT_EARLY -> pc = PC_STAT
            :: else -> begin_try()
            fi
        fi;
        printf("STEP pull-%d Lock layer=%d out=%d\n", p + 1, li, o); checked() }
    /* Stat(chain) (snapshotter.py; unpacker.py stat_early_return): found -> skip the layer */
    :: d_step { pc == PC_STAT ->
        li = i; la = k - KEY(p, 0);
        if
        :: c_exists[i] -> outcome(OK); reached_reuse(); layer_done()
        :: else -> outcome(E_SNAPSHOT); begin_try()
        fi;
        printf("STEP pull-%d Stat layer=%d out=%d\n", p + 1, li, o); checked() }
    /* PrepareT1(key, parent, target, lease) (snapshotter.py; createSnapshot's first tx and
       the backend Prepare): target or key exists -> AlreadyExists (leased with PR 10187's
       Prepare half); parent missing -> NotFound; else a new backend snapshot */
    :: d_step { pc == PC_T1 ->
        li = i; la = k - KEY(p, 0);
        if
        :: c_exists[i] ->
            if
            :: LEASE_PREPARE -> lease_c[PL(p, i)] = 1; updated(1)
            :: else -> skip
            fi;
            outcome(E_TARGET_EXISTS); reached_reuse(); pc = PC_STAT_AE
        :: !c_exists[i] && x_exists[k] ->  /* never: a key is new to every try */
            if
            :: LEASE_PREPARE -> lease_x[k] = 1; updated(1)
            :: else -> skip
            fi;
            outcome(E_NAME_EXISTS); pc = PC_STAT_AE
        :: !c_exists[i] && !x_exists[k] && i > 0 && !c_exists[i - 1] ->
            outcome(E_PARENT); layer_fail(); missing_parent()
        :: else ->
            bpar = (i > 0 -> c_gen[i - 1] : 0);
            x_gen[k] = 1; x_layer[k] = i; updated(1);
            x_backend[k] = 1; x_creating[k] = 1;
            outcome(T1_OK + bpar); pc = PC_T2
        fi;
        printf("STEP pull-%d PrepareT1 layer=%d attempt=%d out=%d\n", p + 1, li, la, o); checked() }
    /* PrepareT2(key, parent, bkey, bparent, lease, labels) (snapshotter.py; createSnapshot's
       second tx): lease the key, create its bucket, re-check the parent (GC may have swept
       it since T1) and its backend key; on an error the backend snapshot is removed */
    :: d_step { pc == PC_T2 ->
        li = i; la = k - KEY(p, 0);
        x_creating[k] = 0;
        if
        :: !lease_exists[p] -> x_backend[k] = 0; outcome(E_LEASE); layer_fail()
        :: lease_exists[p] && x_exists[k] ->  /* never: T1 checked it, and nothing else makes it */
            lease_x[k] = 1; updated(1); outcome(E_NAME_EXISTS); pc = PC_STAT_AE
        :: lease_exists[p] && !x_exists[k] && i > 0 && !c_exists[i - 1] ->
            x_backend[k] = 0; outcome(E_PARENT); layer_fail(); missing_parent()
        :: lease_exists[p] && !x_exists[k] && i > 0 && c_exists[i - 1] && c_gen[i - 1] != bpar ->
            x_backend[k] = 0; outcome(E_MISMATCH); layer_fail()
        :: else ->
            lease_x[k] = 1; updated(1);
            if
            :: i > 0 -> child_x[k] = 1
            :: else -> skip
            fi;
            x_exists[k] = 1; outcome(OK); pc = PC_WAIT
        fi;
        printf("STEP pull-%d PrepareT2 layer=%d attempt=%d bparent=%d out=%d\n", p + 1, li, la, bpar, o); checked() }
    /* Stat(chain) after Prepare's AlreadyExists (_unpack_layer): found -> the layer is
       done; NotFound -> try again with a new key, up to PREPARE_TRIES */
    :: d_step { pc == PC_STAT_AE ->
        li = i; la = k - KEY(p, 0);
        if
        :: c_exists[i] -> outcome(OK); reached_reuse(); layer_done()
        :: else ->
            outcome(E_SNAPSHOT); tries++;
            if
            :: tries < TRIES -> begin_try()
            :: else -> layer_fail()  /* unable to prepare extraction snapshot */
            fi
        fi;
        printf("STEP pull-%d Stat layer=%d out=%d\n", p + 1, li, o); checked() }
    /* WaitForLayerFetch(digest, lease, pull) (unpacker.py): a cancelled ctx -> abort (1.7,
       2.0) or return (1.6); else the layer blob is fetched into the lease (and applied) */
    :: d_step { pc == PC_WAIT ->
        li = i; la = k - KEY(p, 0);
        if
        :: cancelled[p] ->
            outcome(E_CANCELED);
            if
            :: ABORT_ON_CANCEL -> rm_fail = 1; pc = PC_REMOVE
            :: else -> layer_fail()
            fi
        :: else ->
            existed = l_exists[i]; l_exists[i] = 1; lease_l[PL(p, i)] = 1;
            updated((existed -> 1 : 2) + 1); existed = 0;
            outcome(OK); pc = PC_COMMIT
        fi;
        printf("STEP pull-%d WaitForLayerFetch layer=%d out=%d\n", p + 1, li, o); checked() }
    /* Commit(name, key, lease, labels) (snapshotter.py): one tx; name exists ->
       AlreadyExists (leased with PR 10187's Commit half) -> abort, the layer is done;
       another error -> abort and fail; else the chain ID is committed in the lease */
    :: d_step { pc == PC_COMMIT ->
        li = i; la = k - KEY(p, 0);
        if
        :: LEASE_COMMIT && !lease_exists[p] -> outcome(E_LEASE); rm_fail = 1; pc = PC_REMOVE
        :: (!LEASE_COMMIT || lease_exists[p]) && c_exists[i] ->
            if
            :: LEASE_COMMIT -> lease_c[PL(p, i)] = 1; updated(1)
            :: else -> skip
            fi;
            outcome(E_NAME_EXISTS); rm_fail = 0; pc = PC_REMOVE
        :: (!LEASE_COMMIT || lease_exists[p]) && !c_exists[i] && !lease_exists[p] ->
            outcome(E_LEASE); rm_fail = 1; pc = PC_REMOVE
        :: lease_exists[p] && !c_exists[i] && !x_exists[k] ->
            outcome(E_SNAPSHOT); rm_fail = 1; pc = PC_REMOVE
        :: lease_exists[p] && !c_exists[i] && x_exists[k] && i > 0 && !c_exists[i - 1] ->
            outcome(E_PARENT); rm_fail = 1; pc = PC_REMOVE; missing_parent()
        :: else ->
            lease_c[PL(p, i)] = 1; updated(1);
            if
            :: i > 0 -> child_x[k] = 0; child_c[i - 1] = 1
            :: else -> skip
            fi;
            c_gen[i]++; c_exists[i] = 1;
            x_exists[k] = 0; lease_x[k] = 0; x_backend[k] = 0;
            outcome(OK); pc = PC_LABEL_LAYER
        fi;
        printf("STEP pull-%d Commit layer=%d attempt=%d out=%d\n", p + 1, li, la, o); checked() }
    /* Remove(key, lease) (snapshotter.py; unpacker.py _abort, its error only logged) */
    :: d_step { pc == PC_REMOVE ->
        li = i; la = k - KEY(p, 0);
        if
        :: !x_exists[k] -> outcome(E_SNAPSHOT)
        :: x_exists[k] && i > 0 && !c_exists[i - 1] -> outcome(E_PARENT); missing_parent()
        :: else ->
            if
            :: i > 0 -> child_x[k] = 0
            :: else -> skip
            fi;
            x_exists[k] = 0; lease_x[k] = 0; make_dirty(); updated(1);
            outcome(OK)
        fi;
        if
        :: rm_fail -> layer_fail()
        :: else -> layer_done()
        fi;
        printf("STEP pull-%d Remove layer=%d attempt=%d out=%d\n", p + 1, li, la, o); checked() }
    /* UpdateContentLabels(layer blob, uncompressed) (content.py): returned unwrapped */
    :: d_step { pc == PC_LABEL_LAYER ->
        li = i; la = k - KEY(p, 0);
        if
        :: !l_exists[i] -> outcome(E_CONTENT); layer_fail()
        :: else -> l_unc[i] = 1; updated(1); outcome(OK); layer_done()
        fi;
        printf("STEP pull-%d UpdateContentLabels what=layer layer=%d out=%d\n", p + 1, li, o); checked() }
    /* Unlock (kmutex.py): do_unpack's unlock when the layer is done */
    :: d_step { pc == PC_UNLOCK ->
        li = i; la = k - KEY(p, 0);
        holder[i] = 0; outcome(OK);
        printf("STEP pull-%d Unlock layer=%d out=%d\n", p + 1, li, o); checked();
        i++; start_layer() }
    /* Unlock (kmutex.py): do_unpack's unlock when the layer failed; then pull_image's done() */
    :: d_step { pc == PC_UNLOCK_FAIL ->
        li = i; la = k - KEY(p, 0);
        holder[i] = 0; outcome(OK);
        printf("STEP pull-%d Unlock layer=%d out=%d\n", p + 1, li, o); checked();
        pc = PC_DELETE_LEASE }
    /* UpdateContentLabels(config, gc.ref.snapshot.overlayfs = top chain ID) (unpacker.py unpack) */
    :: d_step { pc == PC_LABEL_CONFIG ->
        li = i; la = k - KEY(p, 0);
        if
        :: !f_exists -> outcome(E_CONTENT); failed[p] = 1; pc = PC_DELETE_LEASE
        :: else -> f_ref = 1; updated(1); outcome(OK); pc = PC_CREATE_IMAGE
        fi;
        printf("STEP pull-%d UpdateContentLabels what=config out=%d\n", p + 1, o); checked() }
    /* CreateImage(name, manifest) (images.py; createNewImage) */
    :: d_step { pc == PC_CREATE_IMAGE ->
        li = i; la = k - KEY(p, 0);
        image = 1; updated(1); outcome(OK);
        printf("STEP pull-%d CreateImage out=%d\n", p + 1, o); checked();
        pc = PC_DELETE_LEASE }
    /* DeleteLease(lease, pull) (leases.py; client.Pull's deferred done(ctx)): the pull
       returns; the lease and its memberships go, db.dirty++ (its error is ignored) */
    :: d_step { pc == PC_DELETE_LEASE ->
        li = i; la = k - KEY(p, 0);
        returned[p] = 1;
        if
        :: !lease_exists[p] -> outcome(E_LEASE)
        :: else ->
            lease_exists[p] = 0; lease_m[p] = 0; lease_f[p] = 0;
            for (ti : 0 .. LAYERS - 1) { lease_l[PL(p, ti)] = 0; lease_c[PL(p, ti)] = 0 }
            for (ti : 0 .. MAXA - 1) { lease_x[KEY(p, ti)] = 0 }
            ti = 0;
            make_dirty(); updated(1); outcome(OK)
        fi;
        finished[p] = 1;
        printf("STEP pull-%d DeleteLease out=%d\n", p + 1, o); checked();
        pc = PC_END }
    od
}

#if CANCEL
/* ---- the kubelet: model/kubelet.py kubelet(first, retry, overlap, order) ------------- */
active proctype kubelet() {
    byte kpc;                    /* 0, 1: its two steps in the order's order; 2: returned */
    do
    /* CancelPull(pull-1): the request ctx is cancelled, unless pull-1 has returned */
    :: d_step { (kpc == 0 && !RETRY_FIRST) || (kpc == 1 && RETRY_FIRST) ->
        if
        :: !returned[0] -> cancelled[0] = 1
        :: else -> skip
        fi;
        printf("STEP kubelet CancelPull out=0\n");
        kpc++; kubelet_done = (kpc == 2) }
    /* RequestPull(pull-2, after): the retry's PullImage; without overlap only once
       pull-1 has returned */
    :: d_step { ((kpc == 0 && RETRY_FIRST) || (kpc == 1 && !RETRY_FIRST)) && (OVERLAP || returned[0]) ->
        req2 = 1;
        printf("STEP kubelet RequestPull out=0\n");
        kpc++; kubelet_done = (kpc == 2) }
    od
}
#endif

/* ---- the GC: model/collector.py garbage_collector, model/gc.py GcCollect ------------
   DB.GarbageCollect: mark from the roots (live leases, the image), follow gc.ref labels
   (manifest -> config, layers; config -> top chain ID) and snapshot -> parent, then sweep
   what is unmarked (a swept snapshot's parent keeps it among its children, gc.go remove),
   db.dirty = 0 and the scheduler's count reset. One step under the exclusive wlock. */
inline gc_collect() {
    /* roots: every lease (none expires: the clock never moves) and the image */
    mk_m = image;
    mk_f = 0;
    for (tp : 0 .. NPULLS - 1) {
        mk_m = mk_m || lease_m[tp];
        mk_f = mk_f || lease_f[tp]
    }
    for (ti : 0 .. LAYERS - 1) {
        mk_l[ti] = 0; mk_c[ti] = 0;
        for (tp : 0 .. NPULLS - 1) {
            mk_l[ti] = mk_l[ti] || lease_l[PL(tp, ti)];
            mk_c[ti] = mk_c[ti] || lease_c[PL(tp, ti)]
        }
    }
    for (tk : 0 .. NK - 1) { mk_x[tk] = lease_x[tk] }
    /* content edges: the manifest (if there) references the config and every layer blob */
    if
    :: mk_m && m_exists ->
        mk_f = 1;
        for (ti : 0 .. LAYERS - 1) { mk_l[ti] = 1 }
    :: else -> skip
    fi;
    /* the config's gc.ref.snapshot.overlayfs: the top chain ID */
    if
    :: mk_f && f_exists && f_ref -> mk_c[LAYERS - 1] = 1
    :: else -> skip
    fi;
    /* snapshot -> parent: an extraction snapshot's, then down the chain */
    for (tk : 0 .. NK - 1) {
        if
        :: mk_x[tk] && x_exists[tk] && x_layer[tk] > 0 -> mk_c[x_layer[tk] - 1] = 1
        :: else -> skip
        fi
    }
    for (ti : 1 .. LAYERS - 1) {
        tp = LAYERS - ti;        /* from the top down */
        if
        :: mk_c[tp] && c_exists[tp] -> mk_c[tp - 1] = 1
        :: else -> skip
        fi
    }
    /* sweep */
    for (ti : 0 .. LAYERS - 1) {
        if
        :: c_exists[ti] && !mk_c[ti] ->
#if SEEK == 2
            gc_sweeps_committed_layer_never = 0;
#endif
            c_exists[ti] = 0; child_c[ti] = 0;   /* the bucket and its children set go */
            for (tk : 0 .. NK - 1) {
                if
                :: x_gen[tk] && x_layer[tk] == ti + 1 -> child_x[tk] = 0
                :: else -> skip
                fi
            }
        :: else -> skip
        fi
    }
    for (tk : 0 .. NK - 1) {
        if
        :: x_exists[tk] && !mk_x[tk] -> x_exists[tk] = 0
        :: else -> skip
        fi
    }
    if
    :: m_exists && !mk_m -> m_exists = 0
    :: else -> skip
    fi;
    if
    :: f_exists && !mk_f -> f_exists = 0; f_ref = 0
    :: else -> skip
    fi;
    for (ti : 0 .. LAYERS - 1) {
        if
        :: l_exists[ti] && !mk_l[ti] -> l_exists[ti] = 0; l_unc[ti] = 0
        :: else -> skip
        fi
    }
    dirty = 0;
    mut = 0;
    /* the scratch back to zero */
    mk_m = 0; mk_f = 0;
    for (ti : 0 .. LAYERS - 1) { mk_l[ti] = 0; mk_c[ti] = 0 }
    for (tk : 0 .. NK - 1) { mk_x[tk] = 0 }
    ti = 0; tk = 0; tp = 0
}

active proctype gc() {
    byte runs;                   /* collections so far (the collector's history) */
    do
    :: d_step {
#if GC_POLICY == SCHEDULER
        (dirty || mut >= THRESHOLD) ->   /* gc_scheduler.due: a deletion, or the threshold */
#elif GC_POLICY == ANY
        runs < GC_RUNS ->
#else
        dirty && runs < GC_RUNS ->
#endif
        gc_collect();
        runs++;
        printf("STEP gc GcCollect out=0\n");
        assert(gc_sweeps_committed_layer_never) }
    od
}

/* ---- at a final state (no step enabled: `timeout`): unpack-race's deadlock check and its
   at_end property pull-completes (scenarios/invariants.py). The step loops back to the
   same state, so it adds none. */
#if CANCEL
#define ALL_ENDED (finished[0] && finished[1] && kubelet_done)
#else
#define ALL_ENDED (finished[0])
#endif

active proctype final_state() {
    do
    :: atomic { timeout ->
        no_deadlock = ALL_ENDED;
        assert(no_deadlock);
        pull_completes = 1;
        for (tp : 0 .. NPULLS - 1) {
            if
            :: !cancelled[tp] && (failed[tp] || !finished[tp]) -> pull_completes = 0
            :: else -> skip
            fi;
            for (ti : 0 .. LAYERS - 1) {
                if
                :: !cancelled[tp] && finished[tp] && !c_exists[ti] -> pull_completes = 0
                :: else -> skip
                fi
            }
        }
        ti = 0; tp = 0;
        assert(pull_completes) }
    od
}
