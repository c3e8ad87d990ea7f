// Accounts, for admins: list, create, disable or enable, change role. Your own account has no
// buttons: an admin cannot lock themselves out from here.
"use strict";

import { api, element, field, form, heading, isAdmin, reload, select, session, table } from "./core.js";

export async function users() {
  const page = element("div", {}, heading(1, "Users"));
  if (!isAdmin()) return page.append(element("p", {}, "Only admins manage accounts.")), page;
  const listing = await api("GET", "/api/v1/auth/users?limit=200");
  const problem = element("p", { role: "alert", id: "users-error" });
  const change = (username, fields) => api("PATCH", `/api/v1/auth/users/${encodeURIComponent(username)}`, fields)
    .then(reload, (error) => { problem.textContent = `${username}: ${error.message}`; });
  const rows = listing.users.map((user) => {
    const toggle = element("button", { type: "button", "data-user": user.username, "aria-label": `${user.disabled ? "Enable" : "Disable"} ${user.username}` },
      user.disabled ? "Enable" : "Disable");
    toggle.addEventListener("click", () => change(user.username, { disabled: !user.disabled }));
    const role = element("button", { type: "button", "aria-label": `Make ${user.username} ${user.role === "admin" ? "a user" : "an admin"}` },
      user.role === "admin" ? "Make user" : "Make admin");
    role.addEventListener("click", () => change(user.username, { role: user.role === "admin" ? "user" : "admin" }));
    const own = session.user && user.username === session.user.username;
    return [user.username, user.email, user.role, user.disabled ? "disabled" : "active", own ? "" : element("span", {}, toggle, " ", role)];
  });
  page.append(problem, table(["username", "email", "role", "state", ""], rows));

  const username = element("input", { id: "new-username", required: true, autocomplete: "off" });
  const email = element("input", { id: "new-email", type: "email", required: true });
  const password = element("input", { id: "new-password", type: "password", required: true, minlength: "8", maxlength: "72", autocomplete: "new-password" });
  const role = select("new-role", [["user", "user"], ["admin", "admin"]], "user");
  page.append(heading(2, "New account"), form("create-user",
    [field("Username", username), field("Email", email), field("Password (8 to 72 characters)", password), field("Role", role)], "Create", async () => {
      await api("POST", "/api/v1/auth/users", { username: username.value, email: email.value, password: password.value, role: role.value });
      reload();
    }));
  return page;
}
