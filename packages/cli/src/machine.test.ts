// What a benchmark records about its machine, and when it calls the machine busy.
import { describe, expect, it } from 'vitest';
import { currentLoad, machineInfo, machineText, wasBusy } from './machine';

describe('the machine of a benchmark', () => {
  it('calls a machine busy when other programs loaded it, not when the run itself did', () => {
    // the audit's machine: load 8 to 17 on 2 cores
    expect(wasBusy({ before: [8.2, 7, 6], after: [17.5, 9, 7] }, 2, 2)).toBe(true);
    // an idle machine: the load after is the run's own 2 jobs
    expect(wasBusy({ before: [0.2, 0.3, 0.3], after: [2.1, 0.9, 0.5] }, 2, 2)).toBe(false);
    expect(wasBusy({ before: null, after: null }, 2, 2)).toBe(false);
  });

  it('records cores, CPU, jobs and the load, and says so in one sentence', () => {
    const machine = machineInfo(currentLoad(), 3);
    expect(machine.jobs).toBe(3);
    expect(machine.cores).toBeGreaterThan(0);
    expect(machine.cpu).not.toBe('');
    const busy = { ...machine, cores: 2, cpu: 'AMD EPYC', loadAverage: { before: [8, 7, 6], after: [9, 8, 7] } };
    expect(machineText({ ...busy, busy: true } as typeof machine)).toBe(
      '2 cores (AMD EPYC), --jobs 3; load average 8 before the trials and 9 after (1 minute). The machine was busy (other programs shared its cores): the times to the target are inflated and noisy; trust the profile by steps',
    );
    expect(machineText({ ...busy, busy: false } as typeof machine)).not.toContain('busy');
  });
});
