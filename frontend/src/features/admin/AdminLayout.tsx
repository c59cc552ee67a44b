/** The admin area (admins only): Users, Deliveries and Parked events, as tabs. */
import { NavLink, Outlet } from "react-router";

import { RoleGate } from "./roles";

export default function AdminLayout() {
  const tab = ({ isActive }: { isActive: boolean }) =>
    `border-b-2 px-3 py-2 text-sm ${isActive ? "border-indigo-600 font-medium" : "border-transparent hover:border-slate-300"}`;
  return (
    <RoleGate screen="admin">
      <div className="flex flex-col gap-4">
        <h1 className="text-2xl font-semibold">Administration</h1>
        <nav aria-label="Administration" className="flex gap-2 overflow-x-auto border-b border-slate-200 whitespace-nowrap dark:border-slate-800">
          <NavLink to="users" className={tab}>
            Users
          </NavLink>
          <NavLink to="deliveries" className={tab}>
            Deliveries
          </NavLink>
          <NavLink to="parked" className={tab}>
            Parked events
          </NavLink>
        </nav>
        <Outlet />
      </div>
    </RoleGate>
  );
}
