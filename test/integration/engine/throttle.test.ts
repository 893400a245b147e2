/**
 * Service protection through the real throttle lanes: a long Retry-After becomes a reschedule on the
 * Service Bus emulator (and the batch completes when it comes back); two workers sharing one
 * application user both back off after the emulator throttles that user.
 */
import { accountRoute, counters, operator, rig, rows, useWorld } from './harness';
import type { IncomingMessage } from '../../../shared/engine/engine';

const world = useWorld();

const accountNumbers = async () => (await rows(world.dv, 'target', 'accounts', 'accountnumber')).map((a) => a.accountnumber).sort();

describe('throttling against the Dataverse emulator', () => {
  it('a 429 storm with a Retry-After beyond the budget reschedules the batch on Service Bus at Retry-After; the re-enqueued changes then apply', async () => {
    const r = rig(world, [accountRoute()], { budgetMs: 50 });
    // 300 model seconds of 429 with Retry-After 300 s: 0.3 s of real time at the test's time scale.
    await operator(world.dv, 'PATCH', 'config', { faults: { throttleStormSeconds: 300, throttleStormRetryAfterSeconds: 300 } });
    const before = Date.now();
    const result = await r.engine.applyChanges([r.msg('accounts', { num: 'A', name: 'a' }, 1), r.msg('accounts', { num: 'B', name: 'b' }, 1)]);
    expect(result.counts).toEqual({ applied: 0, skipped: 0, failed: 0, rescheduled: 2 });
    expect(result.outcomes.map((o) => o.outcome)).toEqual([expect.objectContaining({ reason: 'Throttled' }), expect.objectContaining({ reason: 'Throttled' })]);
    const c = await counters(world.dv);
    expect(c.throttledByCode['0x80072322']).toBeGreaterThanOrEqual(1);
    // One 429 paused the lane: the second change was never sent.
    expect(c.requests).toBe(1);

    const queued = await r.queued();
    expect(queued.map((m) => m.messageId).sort()).toEqual([`${r.session}-m0~1`, `${r.session}-m1~1`]);
    for (const m of queued) expect(m.scheduledEnqueueTimeUtc!.getTime()).toBeGreaterThanOrEqual(before + 250);

    // The scheduled messages become receivable after the pause; delivered again, they apply.
    const receiver = await world.sbClient.acceptSession('dvsync-changes', r.session);
    const again: IncomingMessage[] = [];
    try {
      while (again.length < 2) {
        for (const m of await receiver.receiveMessages(2, { maxWaitTimeInMs: 2000 })) {
          again.push({
            body: m.body,
            messageId: String(m.messageId),
            sessionId: m.sessionId,
            applicationProperties: m.applicationProperties as Record<string, unknown>,
          });
          await receiver.completeMessage(m);
        }
      }
    } finally {
      await receiver.close();
    }
    const second = await r.engine.applyChanges(again);
    expect(second.counts.applied).toBe(2);
    expect(await accountNumbers()).toEqual(['A', 'B']);
  });

  it('two workers sharing one application user back off together after the emulator throttles that user; another user is unaffected', async () => {
    await operator(world.dv, 'PATCH', 'config', { limits: { requests: 2, windowSeconds: 600 } });
    try {
      const workerA = rig(world, [accountRoute()], { budgetMs: 50, users: ['shared-user'] });
      const workerB = rig(world, [accountRoute()], { budgetMs: 50, users: ['shared-user'], ledgerTable: workerA.ledgerTable });
      const other = rig(world, [accountRoute()], { budgetMs: 50, users: ['other-user'], ledgerTable: workerA.ledgerTable });
      // Worker A spends the user's request allowance (one bulk request per batch) until the server answers 429.
      const outcomes: string[] = [];
      for (let i = 0; i < 4; i++)
        outcomes.push((await workerA.engine.applyChanges([workerA.msg('accounts', { num: `A${i}`, name: 'a' }, 1)])).outcomes[0].outcome.status);
      expect(outcomes.slice(0, 2)).toEqual(['applied', 'applied']);
      expect(outcomes).toContain('rescheduled');
      const laneA = workerA.pools.get('target')!.lanes[0];
      expect(laneA.isPaused()).toBe(true);

      // Worker B (its own lanes, same user) is refused by the server on its first request and pauses too.
      const b = await workerB.engine.applyChanges([workerB.msg('accounts', { num: 'B0', name: 'b' }, 1)]);
      expect(b.outcomes[0].outcome).toMatchObject({ status: 'rescheduled', reason: 'Throttled' });
      expect(workerB.pools.get('target')!.lanes[0].isPaused()).toBe(true);

      const o = await other.engine.applyChanges([other.msg('accounts', { num: 'O0', name: 'o' }, 1)]);
      expect(o.counts.applied).toBe(1);
      expect(await accountNumbers()).toEqual(['A0', 'A1', 'O0']);
      expect((await counters(world.dv)).throttledByCode['0x80072322']).toBeGreaterThanOrEqual(2);
    } finally {
      await operator(world.dv, 'PATCH', 'config', { limits: { requests: 6000, windowSeconds: 300 } });
    }
  });
});
