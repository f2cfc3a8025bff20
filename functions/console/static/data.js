// Tenants, mappings and clients loaded together, with the lookups every panel needs.
import { get } from "./api.js";

export class Directory {
  constructor(tenants, mappings, clients) {
    this.tenants = tenants;
    this.mappings = mappings;
    this.clients = clients;
    this.tenantById = new Map(tenants.map((t) => [t.tenantId, t]));
    this.mappingById = new Map(mappings.map((m) => [m.tenantId, m]));
    this.clientById = new Map(clients.map((c) => [c.id, c]));
  }

  managed() {
    return this.tenants.filter((t) => t.managed).sort((a, b) => this.tenantName(a.tenantId).localeCompare(this.tenantName(b.tenantId)));
  }

  tenantName(id) {
    const tenant = this.tenantById.get(id);
    return (tenant && tenant.displayName) || id;
  }

  clientName(id) {
    const client = id ? this.clientById.get(id) : null;
    return client ? client.name : id || "—";
  }

  mapping(tenantId) {
    return this.mappingById.get(tenantId) || { tenantId, status: "unmatched", candidates: [] };
  }

  // Mapped tenants, by client name: [{ tenant, mapping, client }]
  confirmed() {
    return this.managed()
      .map((tenant) => ({ tenant, mapping: this.mapping(tenant.tenantId) }))
      .filter(({ mapping }) => mapping.status === "confirmed" && mapping.clientId)
      .map((row) => ({ ...row, client: this.clientById.get(row.mapping.clientId) || { id: row.mapping.clientId, name: row.mapping.clientId } }))
      .sort((a, b) => a.client.name.localeCompare(b.client.name));
  }

  undecided() {
    return this.managed().filter((t) => !["confirmed", "skipped"].includes(this.mapping(t.tenantId).status));
  }
}

export async function loadDirectory() {
  const [tenants, mappings, clients] = await Promise.all([get("/tenants"), get("/mappings"), get("/clients")]);
  return new Directory(tenants, mappings, clients);
}
