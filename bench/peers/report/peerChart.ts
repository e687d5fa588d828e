import type { BenchPlan } from '../peerBenchPlan.js';
import type { ScenarioRun } from '../runScenario.js';
import type { ServerSpec } from '../serverLineup.js';
import { axes, bars, escapeXml, legend, lines, niceLinear, niceLog, type Panel, type Series } from '../../report/svgPlot.js';
import { runOf } from './peerReportTables.js';

/** One colour per server, in lineup order (peers muted, ours strong). */
const colors = ['#e08a2c', '#8a5cc2', '#999999', '#1f77b4', '#2ca02c', '#17becf'];

const width = 1260;
const height = 470;
const panelTop = 50;
const panelHeight = 300;

/**
 * Three panels: server CPU per delivered update at the table's loads (bars), then along the
 * busy document's ladder the same figure and the p99 (log scale), one line per server.
 */
export function renderPeerChart(servers: readonly ServerSpec[], runs: readonly ScenarioRun[], plan: BenchPlan): string {
  const ladder = plan.loads.busy.perWriterRates;
  const ladderRows = servers.map((server) => {
    const outcome = runOf(runs, 'busy', server.key)?.outcome;
    return ladder.map((rate) => (outcome?.kind === 'load' ? outcome.steps.find((row) => row.perWriterRate === rate) : undefined));
  });
  const series = (values: (index: number) => number[]): Series[] => servers.map((server, index) => ({ name: server.title, color: colors[index % colors.length], values: values(index) }));
  const tableLoads = ['fan-out', 'hot', 'busy'] as const;
  const tableCpu = series((index) => tableLoads.map((scenario) => firstStepCpu(runs, scenario, servers[index].key)));
  const ladderCpu = series((index) => ladderRows[index].map((row) => row?.serverMicrosPerDelivery ?? Number.NaN));
  const ladderP99 = series((index) => ladderRows[index].map((row) => row?.latency.p99 ?? Number.NaN));
  const ladderLabels = ladder.map((rate) => `${rate}/s`);
  const panels: Panel[] = [0, 1, 2].map((index) => ({ x: 60 + index * 410, y: panelTop, width: 340, height: panelHeight }));
  // Each panel its own scale: fan-out's per-delivery cost would flatten the ladder's lines.
  const tableScale = niceLinear(maxOf(tableCpu));
  const ladderScale = niceLinear(maxOf(ladderCpu));
  const p99Scale = niceLog(Math.max(0.1, minOf(ladderP99)), maxOf(ladderP99));
  const body = [
    ...axes(panels[0], tableScale, 'server µs per delivered update (table loads)', tableLoads, 'load'),
    ...bars(panels[0], tableScale, tableCpu, tableLoads.length),
    ...axes(panels[1], ladderScale, 'server µs per delivered update (busy doc ladder)', ladderLabels, 'updates/s per writer (10 writers, 100 clients)'),
    ...lines(panels[1], ladderScale, ladderCpu, ladder.length),
    ...axes(panels[2], p99Scale, 'p99 send to delivery, ms (busy doc ladder)', ladderLabels, 'updates/s per writer (10 writers, 100 clients)'),
    ...lines(panels[2], p99Scale, ladderP99, ladder.length),
    ...legend(60, panelTop + panelHeight + 60, tableCpu),
  ];
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<title>${escapeXml(`Peer benchmark (${plan.mode}): CPU per delivered update and p99 per load step`)}</title>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}

function firstStepCpu(runs: readonly ScenarioRun[], scenario: 'fan-out' | 'hot' | 'busy', server: string): number {
  const outcome = runOf(runs, scenario, server)?.outcome;
  return outcome?.kind === 'load' && outcome.steps[0] ? outcome.steps[0].serverMicrosPerDelivery : Number.NaN;
}

function maxOf(series: readonly Series[]): number {
  return Math.max(1, ...series.flatMap((one) => one.values.filter(Number.isFinite)));
}

function minOf(series: readonly Series[]): number {
  return Math.min(...series.flatMap((one) => one.values.filter(Number.isFinite)));
}
