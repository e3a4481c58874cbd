// The sled-agent's runner for one registered Propolis id, as an XState machine: where the VMM is in
// its life (registered, ensuring its zone, active, terminating, exiting, deregistered) and the
// `SledVmmState` it reports, folded from Propolis observations. It does no I/O: the VmmRunner feeds
// it events and acts on its states. Mirrors: omicron sled-agent/src/instance.rs@b848b6d (InstanceRunner).
import { assign, raise, setup } from 'xstate'
import type { InstanceUuid, PropolisUuid } from '../kernel/ids.ts'
import type { PropolisMonitorResponse } from '../propolis/types.ts'
import type { SledVmmState } from './api/index.ts'
import { applyPropolisObservation, forceVmmState, isHalted, syntheticVmmState } from './propolis-observation.ts'

/** Who publishes the final state: the runner, or Nexus (which asked for the termination itself). */
export type StateOwner = 'runner' | 'nexus'

export interface SledVmmContext {
  readonly propolisId: PropolisUuid
  readonly instanceId: InstanceUuid
  readonly state: SledVmmState
  readonly owner: StateOwner
  /** The stop grace timer starts on the first stop request and is never reset. */
  readonly stopGraceStarted: boolean
  readonly stopGraceMs: number
  /** Virtual time as RFC 3339, for `time_updated`. */
  readonly now: () => string
}

export type SledVmmInput = Omit<SledVmmContext, 'owner' | 'stopGraceStarted'>

export type SledVmmEvent =
  | { readonly type: 'ensure.started' }
  | { readonly type: 'zone.installed' }
  | { readonly type: 'ensure.failed' }
  | { readonly type: 'propolis.observed'; readonly observation: PropolisMonitorResponse }
  /** Propolis accepted a Stop or Reboot: the runner publishes stopping/rebooting itself. */
  | { readonly type: 'propolis.accepted'; readonly request: 'stop' | 'reboot' }
  | { readonly type: 'request.stop' }
  | { readonly type: 'request.stop_without_zone' }
  | { readonly type: 'request.terminate' }
  | { readonly type: 'stop.grace_expired' }
  | { readonly type: 'zone.gone' }
  /** Propolis answered NoInstance or CreateFailed: it restarted and lost the VM. */
  | { readonly type: 'propolis.lost_vm' }
  | { readonly type: 'zone.removed' }
  | { readonly type: 'final.published' }

export const sledVmmMachine = setup({
  types: { context: {} as SledVmmContext, events: {} as SledVmmEvent, input: {} as SledVmmInput },
  delays: { stopGrace: ({ context }) => context.stopGraceMs },
  guards: {
    observationHalts: ({ context, event }) =>
      event.type === 'propolis.observed' && isHalted(applyPropolisObservation(context.state, event.observation, context.now()).vmm_state.state),
    stopGraceNotStarted: ({ context }) => !context.stopGraceStarted,
  },
  actions: {
    fold: assign({
      state: ({ context, event }) => (event.type === 'propolis.observed' ? applyPropolisObservation(context.state, event.observation, context.now()) : context.state),
    }),
    publishSynthetic: assign({
      state: ({ context, event }) =>
        event.type === 'propolis.accepted' ? syntheticVmmState(context.state, event.request === 'stop' ? 'stopping' : 'rebooting', context.now()) : context.state,
    }),
    forceFailed: assign({ state: ({ context }) => forceVmmState(context.state, 'failed', context.now()) }),
    // Destroyed, not failed, so that Nexus does not auto-restart an instance a user stopped.
    forceDestroyed: assign({ state: ({ context }) => forceVmmState(context.state, 'destroyed', context.now()) }),
    handOwnershipToNexus: assign({ owner: 'nexus' as StateOwner }),
    startStopGrace: raise({ type: 'stop.grace_expired' }, { delay: 'stopGrace', id: 'stop-grace' }),
    markStopGraceStarted: assign({ stopGraceStarted: true }),
  },
}).createMachine({
  id: 'sled-vmm',
  initial: 'registered',
  context: ({ input }) => ({ ...input, owner: 'runner', stopGraceStarted: false }),
  // Unregister ("rude termination") preempts everything until the runner starts terminating.
  states: {
    /** Known to the sled-agent; no zone and no Propolis yet. */
    registered: {
      on: {
        'ensure.started': 'ensuring',
        // Nothing will ever report for this VMM: end it as an orderly stop would have.
        'request.stop_without_zone': { target: 'terminating', actions: 'forceDestroyed' },
        'request.terminate': { target: 'terminating', actions: ['forceFailed', 'handOwnershipToNexus'] },
      },
    },
    /** Setting up the zone and asking Propolis to create the VM. */
    ensuring: {
      on: {
        'zone.installed': 'active',
        'ensure.failed': { target: 'terminating', actions: 'forceFailed' },
        'request.terminate': { target: 'terminating', actions: ['forceFailed', 'handOwnershipToNexus'] },
      },
    },
    /** The zone runs Propolis; the monitor folds its observations in. */
    active: {
      on: {
        'propolis.observed': [{ guard: 'observationHalts', target: 'terminating', actions: 'fold' }, { actions: 'fold' }],
        'propolis.accepted': { actions: 'publishSynthetic' },
        'request.stop': { guard: 'stopGraceNotStarted', actions: ['markStopGraceStarted', 'startStopGrace'] },
        'stop.grace_expired': { target: 'terminating', actions: 'forceDestroyed' },
        'zone.gone': { target: 'terminating', actions: 'forceFailed' },
        'propolis.lost_vm': { target: 'terminating', actions: 'forceFailed' },
        'request.terminate': { target: 'terminating', actions: ['forceFailed', 'handOwnershipToNexus'] },
      },
    },
    /** The VMM is halted; the zone is being removed. */
    terminating: { on: { 'zone.removed': 'exiting' } },
    /** Publishing the final state to Nexus (only if the runner still owns it), then deregistering. */
    exiting: { on: { 'final.published': 'deregistered' } },
    /** Gone from the sled-agent: requests get 404 NO_SUCH_INSTANCE. */
    deregistered: { type: 'final' },
  },
})

export type SledVmmPhase = 'registered' | 'ensuring' | 'active' | 'terminating' | 'exiting' | 'deregistered'
