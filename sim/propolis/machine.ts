// The propolis-server process as one state machine: the server wrapper (noVm, init, active, rundown,
// rundownComplete), the state driver inside `active`, and the process dying (crashed, zoneRemoved).
// Mirrors: propolis bin/propolis-server/src/lib/{vm/mod.rs,vm/state_driver.rs,migrate/*.rs}@372a574.
// Simplification: there is no component (Crucible VCR-replace) queue; only state requests are queued.
import { and } from 'xstate'
import { initialContext } from './context.ts'
import { propolisSetup } from './machine-setup.ts'
import type { PropolisOperation } from './types.ts'

const due = (operation: PropolisOperation) => ({ type: 'due', params: { operation } }) as const
const notHung = (operation: PropolisOperation) => ({ type: 'notHung', params: { operation } }) as const
const atHead = (kind: 'Start' | 'Stop' | 'Reboot' | 'MigrateOut') => ({ type: 'requestAtHead', params: { kind } }) as const
const publishState = (state: 'Creating' | 'Starting' | 'Running' | 'Stopping' | 'Stopped' | 'Rebooting' | 'Failed') =>
  ({ type: 'publish', params: { state } }) as const
const notify = (completion: 'start_succeeded' | 'start_failed' | 'halted' | 'stop_done' | 'migration_out_succeeded' | 'migration_out_failed') =>
  ({ type: 'notifyQueue', params: { completion } }) as const
const finalState = (state: 'Destroyed' | 'Failed') => ({ type: 'setFinalState', params: { state } }) as const
const migrationError = { type: 'publishPhase', params: { phase: 'Error' } } as const

// How each side fails. The target publishes Error then Failed (and Failed again after rundown if
// its objects existed); the source publishes Error then resumes the guest (only Error when the
// handshake itself failed, as it never left Running).
const targetSyncFailed = [
  migrationError,
  publishState('Failed'),
  notify('start_failed'),
  finalState('Failed'),
  { type: 'failInit', params: { cause: 'migration' } },
  'announceMigrationFailed',
  'endMigration',
] as const
const targetImportFailed = [migrationError, publishState('Failed'), notify('start_failed'), finalState('Failed'), 'announceMigrationFailed', 'endMigration'] as const
const sourceHandshakeFailed = [migrationError, notify('migration_out_failed'), 'announceMigrationFailed', 'endMigration'] as const
const sourceFailed = [migrationError, publishState('Running'), notify('migration_out_failed'), 'announceMigrationFailed', 'endMigration'] as const

const RUNDOWN = '#propolis.alive.rundown'
const RUNNING = '#propolis.alive.active.running'

export const propolisMachine = propolisSetup.createMachine({
  id: 'propolis',
  context: ({ input }) => initialContext(input),
  initial: 'alive',
  // The zone can be removed, and faults and hangs set, whatever the process is doing.
  on: {
    DESTROY: { target: '.zoneRemoved', actions: 'resetProcess' },
    FAIL_NEXT_INIT: { actions: 'armInitFault' },
    FAIL_NEXT_START: { actions: 'armStartFault' },
    HANG: { actions: 'hang' },
    UNHANG: { actions: 'unhang' },
  },
  states: {
    alive: {
      initial: 'noVm',
      // Defaults for the wrapper states; `active` and the VM-less states override them.
      on: {
        // The VM dies with the process. Simplification: any live wrapper state can crash, not only Active.
        CRASH: { target: '#propolis.crashed', actions: 'resetProcess' },
        ENSURE: { actions: 'rejectEnsure' },
        PUT_STATE: { actions: 'answerNoInstance' },
        MIGRATE_OUT: { actions: 'answerNoInstance' },
      },
      states: {
        noVm: {
          on: {
            ENSURE: [
              { guard: 'isSpecEnsure', target: 'init.creating', actions: ['startVm', publishState('Creating'), 'acceptEnsure'] },
              { target: 'init.sync', actions: ['startVm', { type: 'publishPhase', params: { phase: 'Sync', state: 'Migrating' } }, 'acceptEnsure'] },
            ],
          },
        },
        init: {
          initial: 'creating',
          states: {
            creating: {
              after: { initDelay: { actions: 'markDue' } },
              exit: 'clearDue',
              always: [
                // Objects never existed: straight to RundownComplete.
                {
                  guard: and([due('init'), 'initFaultArmed']),
                  target: '#propolis.alive.rundownComplete',
                  actions: ['disarmInitFault', publishState('Failed'), finalState('Failed'), { type: 'failInit', params: { cause: 'objects' } }],
                },
                { guard: due('init'), target: '#propolis.alive.active.notStarted', actions: 'succeedInit' },
              ],
            },
            sync: {
              initial: 'awaitingSource',
              on: {
                ARM_MIGRATION_FAULT: { actions: 'armMigrationFault' },
                PEER_FAILED: { target: '#propolis.alive.rundownComplete', actions: targetSyncFailed },
              },
              states: {
                // Simplification: no timeout; the target waits as long as the source's queue holds MigrateOut.
                awaitingSource: {
                  on: {
                    PEER_STARTED: [
                      { guard: 'faultAtSync', target: '#propolis.alive.rundownComplete', actions: targetSyncFailed },
                      { target: 'syncing', actions: { type: 'publishPhase', params: { phase: 'Sync' } } },
                    ],
                  },
                },
                // The 201 comes once the sync phase is over and the objects exist, before the import.
                syncing: {
                  after: { migrationPhaseDelay: { actions: 'markDue' } },
                  exit: 'clearDue',
                  always: { guard: due('migrate'), target: '#propolis.alive.active.migratingIn', actions: 'succeedInit' },
                },
              },
            },
          },
        },
        active: {
          initial: 'notStarted',
          on: {
            PUT_STATE: [{ guard: 'requestDenied', actions: 'admitRequest' }, { guard: 'requestIgnored', actions: 'admitRequest' }, { actions: 'admitRequest' }],
            MIGRATE_OUT: [{ guard: 'requestDenied', actions: 'admitRequest' }, { actions: 'admitRequest' }],
          },
          states: {
            // Idle with qstate NotStarted: the next request is Start or Stop (nothing else is admitted).
            notStarted: {
              always: [
                { guard: atHead('Start'), target: 'starting', actions: ['dequeueRequest', publishState('Starting')] },
                { guard: atHead('Stop'), target: 'halting', actions: 'dequeueRequest' },
              ],
            },
            // Simplification: each side walks its phases on its own timer; only the source's start, the
            // target's readiness and the source's OK are synchronised (real phases run in lock step).
            migratingIn: {
              initial: 'importing',
              on: {
                PEER_OK: { actions: 'notePeerSignal' },
                PEER_FAILED: { target: RUNDOWN, actions: targetImportFailed },
              },
              states: {
                importing: {
                  after: { migrationPhaseDelay: { actions: 'markDue' } },
                  exit: 'clearDue',
                  always: [
                    { guard: and([due('migrate'), 'phasesDone']), target: 'awaitingOk', actions: 'announceReady' },
                    { guard: and([due('migrate'), 'faultAtNextPhase']), target: RUNDOWN, actions: targetImportFailed },
                    { guard: due('migrate'), target: 'importing', reenter: true, actions: 'publishNextPhase' },
                  ],
                },
                // Finish only after the source's OK.
                awaitingOk: {
                  always: {
                    guard: and(['peerSignalled', notHung('migrate')]),
                    target: '#propolis.alive.active.startingMigrated',
                    actions: [{ type: 'publishPhase', params: { phase: 'Finish' } }, 'endMigration'],
                  },
                },
              },
            },
            // A start takes Stop requests too: Stop aborts it with Stopped and no Stopping.
            starting: {
              after: { bootDelay: { actions: 'markDue' } },
              exit: 'clearDue',
              always: [
                { guard: atHead('Stop'), target: RUNDOWN, actions: ['dequeueRequest', publishState('Stopped'), notify('halted'), finalState('Destroyed')] },
                { guard: and([due('start'), 'startFaultArmed']), target: RUNDOWN, actions: ['disarmStartFault', notify('start_failed'), finalState('Failed')] },
                { guard: due('start'), target: 'running', actions: [publishState('Running'), notify('start_succeeded')] },
              ],
            },
            // A migration target starts what it imported; it never publishes Starting.
            // Simplification: resuming takes one migration phase (migrationPhaseMs), not a boot.
            startingMigrated: {
              after: { migrationPhaseDelay: { actions: 'markDue' } },
              exit: 'clearDue',
              always: [
                { guard: atHead('Stop'), target: RUNDOWN, actions: ['dequeueRequest', publishState('Stopped'), notify('halted'), finalState('Destroyed')] },
                { guard: and([due('start'), 'startFaultArmed']), target: RUNDOWN, actions: ['disarmStartFault', notify('start_failed'), finalState('Failed')] },
                { guard: due('start'), target: 'running', actions: [publishState('Running'), notify('start_succeeded')] },
              ],
            },
            // The dispatcher: guest events before requests, each queue FIFO, one piece of work at a time.
            running: {
              // Simplification: guest events exist only while vCPUs run (here and in migratingOut); others drop them.
              on: {
                GUEST_HALT: { actions: { type: 'enqueueGuestEvent', params: { event: 'halt' } } },
                GUEST_RESET: { actions: { type: 'enqueueGuestEvent', params: { event: 'reset' } } },
                TRIPLE_FAULT: { actions: { type: 'enqueueGuestEvent', params: { event: 'triple_fault' } } },
              },
              always: [
                { guard: { type: 'guestEventAtHead', params: { events: ['halt'] } }, target: 'halting', actions: 'dequeueGuestEvent' },
                {
                  guard: { type: 'guestEventAtHead', params: { events: ['reset', 'triple_fault'] } },
                  target: 'rebooting',
                  actions: ['dequeueGuestEvent', { type: 'setRebootRequested', params: { requested: false } }],
                },
                { guard: atHead('Stop'), target: 'halting', actions: 'dequeueRequest' },
                { guard: atHead('Reboot'), target: 'rebooting', actions: ['dequeueRequest', { type: 'setRebootRequested', params: { requested: true } }] },
                // Simplification: a MigrateOut admitted while StartPending waits for the start to finish
                // (propolis would reach an `unreachable!`; Nexus never asks for it).
                { guard: atHead('MigrateOut'), target: 'migratingOut', actions: 'beginMigrationOut' },
              ],
            },
            rebooting: {
              entry: publishState('Rebooting'),
              after: { rebootDelay: { actions: 'markDue' } },
              exit: 'clearDue',
              always: { guard: due('reboot'), target: 'running', actions: [publishState('Running'), 'finishReboot'] },
            },
            migratingOut: {
              initial: 'handshake',
              on: {
                // The guest keeps running (until paused) and its events wait for the migration to end.
                GUEST_HALT: { actions: { type: 'enqueueGuestEvent', params: { event: 'halt' } } },
                GUEST_RESET: { actions: { type: 'enqueueGuestEvent', params: { event: 'reset' } } },
                TRIPLE_FAULT: { actions: { type: 'enqueueGuestEvent', params: { event: 'triple_fault' } } },
                PEER_READY: { actions: 'notePeerSignal' },
                PEER_FAILED: { target: RUNNING, actions: sourceFailed },
              },
              states: {
                handshake: {
                  entry: 'requestHandshake',
                  on: {
                    HANDSHAKE_OK: [
                      { guard: 'faultAtSync', target: RUNNING, actions: sourceHandshakeFailed },
                      {
                        target: 'transferring',
                        actions: [{ type: 'publishPhase', params: { phase: 'Sync', state: 'Migrating' } }, 'announceMigrationStarted'],
                      },
                    ],
                    HANDSHAKE_FAIL: { target: RUNNING, actions: sourceHandshakeFailed },
                    PEER_FAILED: { target: RUNNING, actions: sourceHandshakeFailed },
                  },
                },
                transferring: {
                  after: { migrationPhaseDelay: { actions: 'markDue' } },
                  exit: 'clearDue',
                  always: [
                    { guard: and([due('migrate'), 'phasesDone']), target: 'awaitingTarget' },
                    { guard: and([due('migrate'), 'faultAtNextPhase']), target: RUNNING, actions: sourceFailed },
                    { guard: due('migrate'), target: 'transferring', reenter: true, actions: 'publishNextPhase' },
                  ],
                },
                // Finish (the final OK) only once the target is ready; after it the guest never resumes here.
                awaitingTarget: {
                  always: {
                    guard: and(['peerSignalled', notHung('migrate')]),
                    target: '#propolis.alive.active.haltingAfterMigration',
                    actions: [{ type: 'publishPhase', params: { phase: 'Finish' } }, notify('migration_out_succeeded'), 'announceFinished', 'endMigration'],
                  },
                },
              },
            },
            halting: {
              entry: publishState('Stopping'),
              after: { stopDelay: { actions: 'markDue' } },
              exit: 'clearDue',
              always: { guard: due('stop'), target: RUNDOWN, actions: [publishState('Stopped'), notify('stop_done'), finalState('Destroyed')] },
            },
            // A migrated-out source tears down without ever publishing Stopped.
            // Simplification: the teardown takes stopMs and hangs with 'stop', as a halt does.
            haltingAfterMigration: {
              entry: publishState('Stopping'),
              after: { stopDelay: { actions: 'markDue' } },
              exit: 'clearDue',
              always: { guard: due('stop'), target: RUNDOWN, actions: finalState('Destroyed') },
            },
          },
        },
        // The driver has exited: queued requests are dropped, objects are being torn down.
        rundown: {
          after: { rundownDelay: { actions: 'markDue' } },
          exit: 'clearDue',
          always: { guard: due('rundown'), target: 'rundownComplete', actions: 'publishFinalState' },
        },
        // The publisher is closed; the process would take a fresh ensure (gen starts again at 1).
        rundownComplete: {
          on: {
            ENSURE: [
              { guard: 'isSpecEnsure', target: 'init.creating', actions: ['startVm', publishState('Creating'), 'acceptEnsure'] },
              { target: 'init.sync', actions: ['startVm', { type: 'publishPhase', params: { phase: 'Sync', state: 'Migrating' } }, 'acceptEnsure'] },
            ],
          },
        },
      },
    },
    // The process panicked: every call is a connection error until SMF restarts it with no VM.
    crashed: {
      after: { restartDelay: { guard: 'restartsAfterCrash', target: '#propolis.alive.noVm', actions: 'announceRestart' } },
    },
    // The zone is gone, and the process with it, for good.
    zoneRemoved: { type: 'final' },
  },
})

export type PropolisMachine = typeof propolisMachine
