/**
 * The report charts (Recharts). Only the reports route imports this module, so Recharts and
 * its dependencies stay in that lazy chunk and out of the first screen.
 */
import { Area, AreaChart, Bar, BarChart, CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";

import type { components } from "../../api/generated/reporting";

type FlowPoint = components["schemas"]["FlowPoint"];
type ThroughputPoint = components["schemas"]["ThroughputPoint"];

/** Categories bottom to top: finished work at the base, the backlog on top (the usual CFD). */
export const FLOW_CATEGORIES = [
  { key: "done", label: "Done", colour: "#16a34a" },
  { key: "in_progress", label: "In progress", colour: "#2563eb" },
  { key: "todo", label: "To do", colour: "#f59e0b" },
  { key: "backlog", label: "Backlog", colour: "#94a3b8" },
] as const;

const HEIGHT = 260;
// Before the container is measured (and in tests, where nothing is) the chart draws at this size.
const INITIAL = { width: 600, height: HEIGHT };

export function CumulativeFlowChart({ items }: { items: FlowPoint[] }) {
  const rows = items.map((p) => ({ day: p.day, ...Object.fromEntries(FLOW_CATEGORIES.map((c) => [c.key, p.by_category[c.key] ?? 0])) }));
  return (
    <ResponsiveContainer width="100%" height={HEIGHT} initialDimension={INITIAL}>
      <AreaChart data={rows} margin={{ top: 8, right: 8, bottom: 0, left: -16 }}>
        <CartesianGrid strokeDasharray="3 3" strokeOpacity={0.4} />
        <XAxis dataKey="day" fontSize={12} />
        <YAxis allowDecimals={false} fontSize={12} />
        <Tooltip />
        <Legend />
        {FLOW_CATEGORIES.map((c) => (
          <Area key={c.key} type="monotone" dataKey={c.key} name={c.label} stackId="flow" stroke={c.colour} fill={c.colour} fillOpacity={0.6} isAnimationActive={false} />
        ))}
      </AreaChart>
    </ResponsiveContainer>
  );
}

export function ThroughputChart({ items }: { items: ThroughputPoint[] }) {
  return (
    <ResponsiveContainer width="100%" height={HEIGHT} initialDimension={INITIAL}>
      <BarChart data={items} margin={{ top: 8, right: 8, bottom: 0, left: -16 }}>
        <CartesianGrid strokeDasharray="3 3" strokeOpacity={0.4} />
        <XAxis dataKey="period_start" fontSize={12} />
        <YAxis allowDecimals={false} fontSize={12} />
        <Tooltip />
        <Legend />
        <Bar dataKey="created" name="Created" fill="#94a3b8" isAnimationActive={false} />
        <Bar dataKey="completed" name="Completed" fill="#16a34a" isAnimationActive={false} />
      </BarChart>
    </ResponsiveContainer>
  );
}

type BurndownPoint = components["schemas"]["BurndownPoint"];

/** Remaining work per day against the ideal straight line, with the scope for context. */
export function BurndownChart({ items }: { items: BurndownPoint[] }) {
  return (
    <ResponsiveContainer width="100%" height={HEIGHT} initialDimension={INITIAL}>
      <LineChart data={items} margin={{ top: 8, right: 8, bottom: 0, left: -16 }}>
        <CartesianGrid strokeDasharray="3 3" strokeOpacity={0.4} />
        <XAxis dataKey="day" fontSize={12} />
        <YAxis allowDecimals={false} fontSize={12} />
        <Tooltip />
        <Legend />
        <Line type="linear" dataKey="remaining" name="Remaining" stroke="#2563eb" strokeWidth={2} dot={false} isAnimationActive={false} />
        <Line type="linear" dataKey="ideal" name="Ideal" stroke="#94a3b8" strokeDasharray="6 4" dot={false} isAnimationActive={false} />
        <Line type="stepAfter" dataKey="scope" name="Scope" stroke="#f59e0b" dot={false} isAnimationActive={false} />
      </LineChart>
    </ResponsiveContainer>
  );
}

export interface TeamRow {
  name: string;
  assigned: number;
  completed: number;
  overdue: number;
}

/** One group of bars per person: assigned, completed, overdue. */
export function TeamChart({ rows }: { rows: TeamRow[] }) {
  return (
    <ResponsiveContainer width="100%" height={Math.max(HEIGHT, rows.length * 48)} initialDimension={{ width: INITIAL.width, height: Math.max(HEIGHT, rows.length * 48) }}>
      <BarChart data={rows} layout="vertical" margin={{ top: 8, right: 8, bottom: 0, left: 8 }}>
        <CartesianGrid strokeDasharray="3 3" strokeOpacity={0.4} />
        <XAxis type="number" allowDecimals={false} fontSize={12} />
        <YAxis type="category" dataKey="name" width={110} fontSize={12} />
        <Tooltip />
        <Legend />
        <Bar dataKey="assigned" name="Assigned" fill="#94a3b8" isAnimationActive={false} />
        <Bar dataKey="completed" name="Completed" fill="#16a34a" isAnimationActive={false} />
        <Bar dataKey="overdue" name="Overdue" fill="#dc2626" isAnimationActive={false} />
      </BarChart>
    </ResponsiveContainer>
  );
}
