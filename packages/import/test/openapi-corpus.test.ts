/**
 * OpenAPI round trips: documents from the OpenAPI Initiative's examples
 * (OAI/OpenAPI-Specification `examples/v3.0/*.yaml`, `examples/v3.1/*.yaml`), the Swagger
 * Petstore v3, Tyk's and Zuplo's OpenAPI routing docs (each test names its source; long schemas
 * trimmed to what routing reads), imported, then the requests the documents describe sent through
 * the gateway on the mock transport.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { importDocuments, importDocumentsValidated, parseYamlDocuments, validateOpenApi, formatMessage } from '../src/index.js';
import { backendOf, gatewayFor, importYaml, req } from './harness.js';

const load = (text: string, file: string, backends: Record<string, readonly (string | { id: string; url: string })[]> = {}) => importYaml(text, file, { backends });

// OAI/OpenAPI-Specification examples/v3.0/petstore.yaml
const PETSTORE = `
openapi: "3.0.0"
info:
  version: 1.0.0
  title: Swagger Petstore
  license:
    name: MIT
servers:
  - url: http://petstore.swagger.io/v1
paths:
  /pets:
    get:
      summary: List all pets
      operationId: listPets
      tags: [pets]
      parameters:
        - name: limit
          in: query
          description: How many items to return at one time (max 100)
          required: false
          schema: { type: integer, maximum: 100, format: int32 }
      responses:
        '200': { description: A paged array of pets }
    post:
      summary: Create a pet
      operationId: createPets
      tags: [pets]
      responses:
        '201': { description: Null response }
  /pets/{petId}:
    get:
      summary: Info for a specific pet
      operationId: showPetById
      tags: [pets]
      parameters:
        - name: petId
          in: path
          required: true
          description: The id of the pet to retrieve
          schema: { type: string }
      responses:
        '200': { description: Expected response to a valid request }
`;

describe('OpenAPI documents through the gateway', () => {
  it('OAI examples/v3.0/petstore.yaml: one route per operation, servers[0] with its base path, operationId names', async () => {
    const result = load(PETSTORE, 'petstore.yaml', { 'http://petstore.swagger.io/v1': [{ id: 'petstore', url: 'http://10.2.0.1:80' }] });
    expect(result.config.routes.map((r) => r.name)).toEqual(['listPets', 'createPets', 'showPetById']);
    expect(result.config.selection).toBe('first-match');
    const t = gatewayFor(result);
    const list = await t.send(req('/pets?limit=10'));
    expect([backendOf(list), list.upstream?.request.path]).toEqual(['petstore', '/v1/pets?limit=10']);
    const one = await t.send(req('/pets/42'));
    expect(one.upstream?.request.path).toBe('/v1/pets/42');
    expect((await t.send(req('/pets', { method: 'POST' }))).upstream?.request.method).toBe('POST');
    expect((await t.send(req('/pets/42', { method: 'DELETE' }))).response.status).toBe(404);
    expect((await t.send(req('/pets/42/toys'))).response.status).toBe(404);
  });

  it('OAI examples/v3.0/petstore-expanded.yaml: concrete and templated paths, DELETE, a server without a resolver entry is its own origin', async () => {
    const text = `
openapi: "3.0.0"
info: { version: 1.0.0, title: Swagger Petstore, description: A sample API that uses a petstore as an example }
servers:
  - url: https://petstore.swagger.io/v2
paths:
  /pets:
    get: { operationId: findPets, responses: { '200': { description: pet response } } }
    post: { operationId: addPet, responses: { '200': { description: pet response } } }
  /pets/{id}:
    get:
      operationId: find pet by id
      parameters: [{ name: id, in: path, required: true, schema: { type: integer, format: int64 } }]
      responses: { '200': { description: pet response } }
    delete:
      operationId: deletePet
      parameters: [{ name: id, in: path, required: true, schema: { type: integer, format: int64 } }]
      responses: { '204': { description: pet deleted } }
`;
    const result = load(text, 'petstore-expanded.yaml');
    expect(Object.keys(result.config.upstreams)).toEqual(['https://petstore.swagger.io']);
    const t = gatewayFor(result);
    const del = await t.send(req('/pets/7', { method: 'DELETE' }));
    expect([del.upstream?.endpoint.url, del.upstream?.request.path]).toEqual(['https://petstore.swagger.io', '/v2/pets/7']);
    expect((await t.send(req('/pets/7'))).upstream?.request.path).toBe('/v2/pets/7');
  });

  it('OAI examples/v3.0/uspto.yaml: server variables substituted with their defaults', async () => {
    const text = `
openapi: 3.0.1
servers:
  - url: '{scheme}://developer.uspto.gov/ds-api'
    variables:
      scheme:
        description: 'The Data Set API is accessible via https and http'
        enum: ['https', 'http']
        default: 'https'
info: { description: The Data Set API (DSAPI), version: 1.0.0, title: USPTO Data Set API }
paths:
  /:
    get: { tags: [metadata], operationId: list-data-sets, summary: List available data sets, responses: { '200': { description: Returns a list of data sets } } }
  /{dataset}/{version}/fields:
    get:
      operationId: list-searchable-fields
      parameters:
        - { name: dataset, in: path, required: true, schema: { type: string, default: oa_citations } }
        - { name: version, in: path, required: true, schema: { type: string, default: v1 } }
      responses: { '200': { description: The dataset API for the given version is found } }
  /{dataset}/{version}/records:
    post:
      operationId: perform-search
      parameters:
        - { name: version, in: path, required: true, schema: { type: string, default: v1 } }
        - { name: dataset, in: path, required: true, schema: { type: string, default: oa_citations } }
      responses: { '200': { description: successful operation } }
`;
    const result = load(text, 'uspto.yaml');
    expect(Object.keys(result.config.upstreams)).toEqual(['https://developer.uspto.gov']);
    const t = gatewayFor(result);
    expect((await t.send(req('/'))).upstream?.request.path).toBe('/ds-api/');
    expect((await t.send(req('/oa_citations/v1/fields'))).upstream?.request.path).toBe('/ds-api/oa_citations/v1/fields');
    expect((await t.send(req('/oa_citations/v1/records', { method: 'POST' }))).upstream?.request.path).toBe('/ds-api/oa_citations/v1/records');
  });

  it('OAI examples/v3.0/api-with-examples.yaml: two GETs, / and /v2', async () => {
    const text = `
openapi: "3.0.0"
info: { title: Simple API overview, version: 2.0.0 }
servers: [{ url: http://api.example.com }]
paths:
  /:
    get: { operationId: listVersionsv2, summary: List API versions, responses: { '200': { description: 200 response } } }
  /v2:
    get: { operationId: getVersionDetailsv2, summary: Show API version details, responses: { '200': { description: 200 response } } }
`;
    const t = gatewayFor(load(text, 'api-with-examples.yaml', { 'http://api.example.com': [{ id: 'api', url: 'http://10.2.1.1:80' }] }));
    expect(backendOf(await t.send(req('/')))).toBe('api');
    expect((await t.send(req('/v2'))).upstream?.request.path).toBe('/v2');
    expect((await t.send(req('/v3'))).response.status).toBe(404);
  });

  it('OAI examples/v3.0/link-example.yaml: nested templates /2.0/repositories/{username}/{slug}/pullrequests/{pid}/merge', async () => {
    const text = `
openapi: 3.0.0
info: { title: Link Example, version: 1.0.0 }
servers: [{ url: https://api.bitbucket.example }]
paths:
  /2.0/users/{username}:
    get: { operationId: getUserByName, parameters: [{ name: username, in: path, required: true, schema: { type: string } }], responses: { '200': { description: The User } } }
  /2.0/repositories/{username}:
    get: { operationId: getRepositoriesByOwner, parameters: [{ name: username, in: path, required: true, schema: { type: string } }], responses: { '200': { description: repositories owned by the supplied user } } }
  /2.0/repositories/{username}/{slug}:
    get: { operationId: getRepository, parameters: [{ name: username, in: path, required: true, schema: { type: string } }, { name: slug, in: path, required: true, schema: { type: string } }], responses: { '200': { description: The repository } } }
  /2.0/repositories/{username}/{slug}/pullrequests:
    get: { operationId: getPullRequestsByRepository, parameters: [{ name: username, in: path, required: true, schema: { type: string } }, { name: slug, in: path, required: true, schema: { type: string } }], responses: { '200': { description: an array of pull request objects } } }
  /2.0/repositories/{username}/{slug}/pullrequests/{pid}:
    get: { operationId: getPullRequestsById, parameters: [{ name: username, in: path, required: true, schema: { type: string } }, { name: slug, in: path, required: true, schema: { type: string } }, { name: pid, in: path, required: true, schema: { type: string } }], responses: { '200': { description: a pull request object } } }
  /2.0/repositories/{username}/{slug}/pullrequests/{pid}/merge:
    post: { operationId: mergePullRequest, parameters: [{ name: username, in: path, required: true, schema: { type: string } }, { name: slug, in: path, required: true, schema: { type: string } }, { name: pid, in: path, required: true, schema: { type: string } }], responses: { '204': { description: the PR was successfully merged } } }
`;
    const result = load(text, 'link-example.yaml');
    expect(result.config.routes.find((r) => r.name === 'mergePullRequest')?.matches).toEqual([{ path: { type: 'Template', value: '/2.0/repositories/:username/:slug/pullrequests/:pid/merge' }, method: 'POST' }]);
    const t = gatewayFor(result);
    expect((await t.send(req('/2.0/repositories/alice/app/pullrequests/3/merge', { method: 'POST' }))).upstream?.request.path).toBe('/2.0/repositories/alice/app/pullrequests/3/merge');
    expect((await t.send(req('/2.0/repositories/alice/app/pullrequests/3/merge'))).response.status).toBe(404);
  });

  it('OAS "Path Templating Matching": /pets/mine (concrete) before /pets/{petId}, whatever the document order', async () => {
    const text = `
openapi: 3.1.0
info: { title: Matching, version: '1' }
servers: [{ url: http://pets.internal }]
paths:
  /pets/{petId}:
    get: { operationId: getPet, parameters: [{ name: petId, in: path, required: true, schema: { type: string } }], responses: { '200': { description: ok } } }
  /pets/mine:
    get:
      operationId: getMine
      servers: [{ url: http://mine.internal }]
      responses: { '200': { description: ok } }
`;
    const result = load(text, 'matching.yaml', { 'http://pets.internal': [{ id: 'pets', url: 'http://10.2.2.1:80' }], 'http://mine.internal': [{ id: 'mine', url: 'http://10.2.2.2:80' }] });
    expect(result.config.routes.map((r) => r.name)).toEqual(['getMine', 'getPet']);
    const t = gatewayFor(result);
    expect(backendOf(await t.send(req('/pets/mine')))).toBe('mine');
    expect(backendOf(await t.send(req('/pets/rex')))).toBe('pets');
  });

  it('OAI examples/v3.1/webhook-example.yaml: a document with only webhooks imports no route and no problem', () => {
    const text = `
openapi: 3.1.0
info: { title: Webhook Example, version: 1.0.0 }
webhooks:
  newPet:
    post:
      requestBody: { description: Information about a new pet in the system, content: { application/json: { schema: { type: object } } } }
      responses: { '200': { description: Return a 200 status to indicate that the data was received successfully } }
`;
    const result = load(text, 'webhook-example.yaml');
    expect(result.config.routes).toEqual([]);
  });

  it('OAI examples/v3.0/callback-example.yaml: the operation is routed, its callbacks are not routes', async () => {
    const text = `
openapi: 3.0.0
info: { title: Callback Example, version: 1.0.0 }
servers: [{ url: http://streams.internal }]
paths:
  /streams:
    post:
      description: subscribes a client to receive out-of-band data
      parameters: [{ name: callbackUrl, in: query, required: true, schema: { type: string, format: uri } }]
      responses: { '201': { description: subscription successfully created } }
      callbacks:
        onData:
          '{$request.query.callbackUrl}/data':
            post: { responses: { '202': { description: ok } } }
`;
    const result = load(text, 'callback-example.yaml', { 'http://streams.internal': ['http://10.2.3.1:80'] });
    expect(result.config.routes.map((r) => r.name)).toEqual(['POST /streams']);
    const t = gatewayFor(result);
    expect((await t.send(req('/streams?callbackUrl=http://x', { method: 'POST' }))).upstream?.request.path).toBe('/streams?callbackUrl=http://x');
  });

  it('Swagger Petstore v3 (petstore3.swagger.io/api/v3/openapi.json): relative server URL through the resolver', async () => {
    const text = JSON.stringify({
      openapi: '3.0.4',
      info: { title: 'Swagger Petstore - OpenAPI 3.0', version: '1.0.27' },
      servers: [{ url: '/api/v3' }],
      paths: {
        '/pet': { put: { operationId: 'updatePet', responses: { '200': { description: 'Successful operation' } } }, post: { operationId: 'addPet', responses: { '200': { description: 'Successful operation' } } } },
        '/pet/findByStatus': { get: { operationId: 'findPetsByStatus', responses: { '200': { description: 'successful operation' } } } },
        '/pet/findByTags': { get: { operationId: 'findPetsByTags', responses: { '200': { description: 'successful operation' } } } },
        '/pet/{petId}': {
          get: { operationId: 'getPetById', parameters: [{ name: 'petId', in: 'path', required: true, schema: { type: 'integer' } }], responses: { '200': { description: 'successful operation' } } },
          delete: { operationId: 'deletePet', parameters: [{ name: 'petId', in: 'path', required: true, schema: { type: 'integer' } }], responses: { '200': { description: 'Pet deleted' } } },
        },
        '/pet/{petId}/uploadImage': { post: { operationId: 'uploadFile', parameters: [{ name: 'petId', in: 'path', required: true, schema: { type: 'integer' } }], responses: { '200': { description: 'successful operation' } } } },
        '/store/inventory': { get: { operationId: 'getInventory', responses: { '200': { description: 'successful operation' } } } },
        '/store/order/{orderId}': { get: { operationId: 'getOrderById', parameters: [{ name: 'orderId', in: 'path', required: true, schema: { type: 'integer' } }], responses: { '200': { description: 'successful operation' } } } },
        '/user/login': { get: { operationId: 'loginUser', responses: { '200': { description: 'successful operation' } } } },
        '/user/{username}': { get: { operationId: 'getUserByName', parameters: [{ name: 'username', in: 'path', required: true, schema: { type: 'string' } }], responses: { '200': { description: 'successful operation' } } } },
      },
    });
    const unresolved = importDocuments(parseYamlDocuments(text, 'openapi.json').documents);
    expect(unresolved.problems.map(formatMessage)[0]).toBe('OpenAPI Swagger Petstore - OpenAPI 3.0 (openapi.json): #/servers/0/url: server "/api/v3" is not an absolute http(s) URL and is not in the import\'s `backends`');
    const result = load(text, 'openapi.json', { '/api/v3': [{ id: 'petstore3', url: 'http://10.2.4.1:8080' }] });
    expect(result.config.routes.slice(0, 6).map((r) => r.name)).toEqual(['updatePet', 'addPet', 'findPetsByStatus', 'findPetsByTags', 'getInventory', 'loginUser']);
    const t = gatewayFor(result);
    expect((await t.send(req('/pet/findByStatus?status=available'))).upstream?.request.path).toBe('/api/v3/pet/findByStatus?status=available');
    expect((await t.send(req('/pet/10'))).upstream?.request.path).toBe('/api/v3/pet/10');
    expect((await t.send(req('/user/login'))).upstream?.request.path).toBe('/api/v3/user/login');
    expect((await t.send(req('/pet/10/uploadImage', { method: 'POST' }))).upstream?.request.path).toBe('/api/v3/pet/10/uploadImage');
  });

  it('x-switchyard on the document, path item and operation: inherited downwards, the operation wins', async () => {
    const text = `
openapi: 3.0.3
info: { title: Orders, version: '1' }
servers: [{ url: http://orders.internal }]
x-switchyard:
  timeoutMs: 5000
  retry: { numRetries: 2, retryOn: [connect-failure, gateway-error] }
paths:
  /orders:
    x-switchyard: { timeoutMs: 2000 }
    get: { operationId: listOrders, responses: { '200': { description: ok } } }
    post:
      operationId: createOrder
      x-switchyard: { timeoutMs: 10000, retry: { numRetries: 0 } }
      responses: { '201': { description: created } }
  /orders/{id}:
    get: { operationId: getOrder, parameters: [{ name: id, in: path, required: true, schema: { type: string } }], responses: { '200': { description: ok } } }
`;
    const result = load(text, 'orders.yaml', { 'http://orders.internal': ['http://10.2.5.1:80'] });
    const byName = Object.fromEntries(result.config.routes.map((r) => [r.name, r]));
    expect([byName['listOrders']?.timeoutMs, byName['createOrder']?.timeoutMs, byName['getOrder']?.timeoutMs]).toEqual([2000, 10000, 5000]);
    expect([byName['listOrders']?.retry?.numRetries, byName['createOrder']?.retry?.numRetries]).toEqual([2, 0]);
    const t = gatewayFor(result);
    t.transport.enqueue({ status: 502 }, { status: 200 });
    expect((await t.send(req('/orders'))).response.status).toBe(200);
  });

  it('x-switchyard.backends with weights, x-switchyard.config.upstreams and limits (a canary split from the document)', async () => {
    const text = `
openapi: 3.0.3
info: { title: Catalog, version: '2' }
x-switchyard:
  config:
    upstreams:
      catalog-v1: { endpoints: [{ id: c1, url: "http://10.2.6.1:80" }] }
      catalog-v2: { endpoints: [{ id: c2, url: "http://10.2.6.2:80" }] }
    limits:
      per-client: { key: { header: x-client }, policy: { maxTokens: 1, fillIntervalMs: 60000 } }
  backends: [{ upstream: catalog-v1, weight: 90 }, { upstream: catalog-v2, weight: 10 }]
paths:
  /items:
    get:
      operationId: listItems
      x-switchyard: { limits: [per-client] }
      responses: { '200': { description: ok } }
`;
    const result = load(text, 'catalog.yaml');
    expect(result.config.limits).toEqual({ 'per-client': { key: { header: 'x-client' }, policy: { maxTokens: 1, fillIntervalMs: 60000 } } });
    const t = gatewayFor(result, 5);
    const counts: Record<string, number> = {};
    for (let i = 0; i < 400; i++) {
      const b = String(backendOf(await t.send(req('/items', { headers: { 'x-client': `c${i}` } }))));
      counts[b] = (counts[b] ?? 0) + 1;
    }
    expect(Object.keys(counts).sort()).toEqual(['c1', 'c2']);
    expect((counts['c1'] ?? 0) > 320).toBe(true);
    expect((await t.send(req('/items', { headers: { 'x-client': 'c1' } }))).response.status).toBe(429);
  });

  it('x-switchyard.basePath: the gateway serves the API under /api, the upstream keeps its own base', async () => {
    const text = `
openapi: 3.1.0
info: { title: Users, version: '1' }
servers: [{ url: https://users.internal/v1 }]
x-switchyard: { basePath: /api }
paths:
  /users/{id}:
    get: { operationId: getUser, parameters: [{ name: id, in: path, required: true, schema: { type: string } }], responses: { '200': { description: ok } } }
`;
    const t = gatewayFor(load(text, 'users.yaml'));
    expect((await t.send(req('/api/users/9'))).upstream?.request.path).toBe('/v1/users/9');
    expect((await t.send(req('/users/9'))).response.status).toBe(404);
  });

  it('Tyk OAS "servers" docs: only servers[0] is the upstream, the others are a warning', async () => {
    const text = `
openapi: 3.0.3
info: { title: example-api, version: 1.0.0 }
servers:
  - url: https://upstream-a.example.com
  - url: https://upstream-b.example.com
paths:
  /anything:
    get: { operationId: anythingget, responses: { '200': { description: OK } } }
`;
    const result = load(text, 'tyk-servers.yaml');
    expect(result.warnings.map((w) => w.path)).toEqual(['#/servers/1']);
    const t = gatewayFor(result);
    expect((await t.send(req('/anything'))).upstream?.endpoint.url).toBe('https://upstream-a.example.com');
  });

  it('path-item and operation servers override the document\'s (OAS Server Object)', async () => {
    const text = `
openapi: 3.0.3
info: { title: Mixed, version: '1' }
servers: [{ url: http://default.internal }]
paths:
  /a:
    servers: [{ url: http://path-level.internal }]
    get: { operationId: a, responses: { '200': { description: ok } } }
    post:
      operationId: a-post
      servers: [{ url: http://op-level.internal/base }]
      responses: { '200': { description: ok } }
  /b:
    get: { operationId: b, responses: { '200': { description: ok } } }
`;
    const t = gatewayFor(load(text, 'servers-override.yaml'));
    expect((await t.send(req('/a'))).upstream?.endpoint.url).toBe('http://path-level.internal');
    const post = await t.send(req('/a', { method: 'POST' }));
    expect([post.upstream?.endpoint.url, post.upstream?.request.path]).toEqual(['http://op-level.internal', '/base/a']);
    expect((await t.send(req('/b'))).upstream?.endpoint.url).toBe('http://default.internal');
  });

  it('Zuplo routes.oas.json style: mixed-text segments become a regex with named groups', async () => {
    const text = JSON.stringify({
      openapi: '3.1.0',
      info: { title: 'Zuplo routes', version: '1.0.0' },
      servers: [{ url: 'https://echo.zuplo.io' }],
      paths: {
        '/files/{name}.{ext}': { get: { operationId: 'get-file', parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string' } }, { name: 'ext', in: 'path', required: true, schema: { type: 'string' } }], responses: { '200': { description: 'ok' } } } },
        '/products/{productId}': { get: { operationId: 'get-product', parameters: [{ name: 'productId', in: 'path', required: true, schema: { type: 'string' } }], responses: { '200': { description: 'ok' } } } },
      },
    });
    const result = load(text, 'routes.oas.json');
    expect(result.config.routes[0]?.matches).toEqual([{ path: { type: 'RegularExpression', value: '/files/(?<name>[^/\\.]+)\\.(?<ext>[^/]+)' }, method: 'GET' }]);
    const t = gatewayFor(result);
    expect((await t.send(req('/files/report.pdf'))).upstream?.request.path).toBe('/files/report.pdf');
    expect((await t.send(req('/files/report'))).response.status).toBe(404);
  });

  it('Zuplo docs (articles/routing.md): x-zuplo-route is another gateway\'s extension, a warning at its pointer', () => {
    const text = JSON.stringify({
      openapi: '3.1.0',
      info: { title: 'Zuplo', version: '1' },
      servers: [{ url: 'https://echo.zuplo.io' }],
      paths: { '/hello': { get: { operationId: 'hello', 'x-zuplo-route': { corsPolicy: 'none', handler: { export: 'urlForwardHandler', module: '$import(@zuplo/runtime)', options: { baseUrl: 'https://echo.zuplo.io' } } }, responses: { '200': { description: 'ok' } } } } },
    });
    const result = load(text, 'routes.oas.json');
    expect(result.warnings.map((w) => `${w.path}: ${w.message}`)).toEqual(['#/paths/~1hello/get/x-zuplo-route: x-zuplo-route is another gateway\'s extension: not read (use x-switchyard)']);
    expect(result.config.routes.map((r) => r.name)).toEqual(['hello']);
  });

  it('x-switchyard.rewrite with path parameters (Zuplo URL Rewrite style template)', async () => {
    const text = `
openapi: 3.0.3
info: { title: Rewrite, version: '1' }
servers: [{ url: http://legacy.internal }]
paths:
  /v2/customers/{customerId}:
    get:
      operationId: getCustomer
      parameters: [{ name: customerId, in: path, required: true, schema: { type: string } }]
      x-switchyard:
        rewrite: { path: { type: Template, template: '/customer.php' }, query: { set: { id: '\${params.customerId}' } } }
      responses: { '200': { description: ok } }
`;
    const t = gatewayFor(load(text, 'rewrite.yaml'));
    expect((await t.send(req('/v2/customers/77'))).upstream?.request.path).toBe('/customer.php?id=77');
  });

  it('x-switchyard.redirect: an operation answered by a redirect, no backend needed', async () => {
    const text = `
openapi: 3.0.3
info: { title: Moved, version: '1' }
paths:
  /old-docs:
    get:
      operationId: oldDocs
      x-switchyard: { redirect: { hostname: docs.example.com, path: { type: ReplaceFullPath, replaceFullPath: /docs }, statusCode: 301 } }
      responses: { '301': { description: moved } }
`;
    const t = gatewayFor(load(text, 'redirect.yaml'));
    const s = await t.send(req('/old-docs'));
    expect([s.response.status, s.response.headers['location']]).toEqual([301, 'http://docs.example.com/docs']);
  });

  it('x-switchyard.fault and mirror on an operation (shadow a new implementation)', async () => {
    const text = `
openapi: 3.0.3
info: { title: Shadow, version: '1' }
servers: [{ url: http://search-v1.internal }]
x-switchyard:
  config:
    upstreams:
      search-v2: { endpoints: [{ id: s2, url: "http://10.2.7.2:80" }] }
paths:
  /search:
    get:
      operationId: search
      x-switchyard: { mirror: { upstream: search-v2 } }
      responses: { '200': { description: ok } }
`;
    const t = gatewayFor(load(text, 'shadow.yaml'));
    const s = await t.send(req('/search?q=x'));
    expect(s.all.map((r) => r.endpoint.url).sort()).toEqual(['http://10.2.7.2:80', 'http://search-v1.internal']);
  });

  it('x-switchyard.policies: passed through for the policy pipeline, with config.policies definitions', () => {
    const text = `
openapi: 3.0.3
info: { title: Secure, version: '1' }
servers: [{ url: http://secure.internal }]
x-switchyard:
  config:
    policies:
      api-key: { type: api-key, options: { header: x-api-key } }
  policies: { inbound: [api-key] }
paths:
  /secret:
    get: { operationId: secret, responses: { '200': { description: ok } } }
`;
    const result = load(text, 'policies.yaml');
    expect(result.config.policies).toEqual({ 'api-key': { type: 'api-key', options: { header: 'x-api-key' } } });
    expect(result.config.routes[0]?.policies).toEqual({ inbound: ['api-key'] });
  });

  it('HEAD, OPTIONS and TRACE are routed only when declared', async () => {
    const text = `
openapi: 3.0.3
info: { title: Methods, version: '1' }
servers: [{ url: http://m.internal }]
paths:
  /r:
    get: { responses: { '200': { description: ok } } }
    head: { responses: { '200': { description: ok } } }
`;
    const t = gatewayFor(load(text, 'methods.yaml'));
    expect((await t.send(req('/r', { method: 'HEAD' }))).upstream?.request.method).toBe('HEAD');
    expect((await t.send(req('/r', { method: 'OPTIONS' }))).response.status).toBe(404);
  });

  it('several OpenAPI documents: routes in the order given, upstreams shared', () => {
    const a = parseYamlDocuments(PETSTORE, 'a.yaml').documents;
    const b = parseYamlDocuments(`openapi: 3.0.3\ninfo: { title: B, version: '1' }\nservers: [{ url: "http://petstore.swagger.io/v1" }]\npaths:\n  /owners:\n    get: { operationId: listOwners, responses: { '200': { description: ok } } }\n`, 'b.yaml').documents;
    const result = importDocuments([...a, ...b], { backends: { 'http://petstore.swagger.io/v1': ['http://10.2.0.1:80'] } });
    expect(result.problems).toEqual([]);
    expect(result.config.routes.map((r) => r.name)).toEqual(['listPets', 'createPets', 'showPetById', 'listOwners']);
    expect(Object.keys(result.config.upstreams)).toEqual(['http://petstore.swagger.io/v1']);
  });
});

describe('OpenAPI problems by JSON pointer', () => {
  const base = (paths: Record<string, unknown>, ext?: Record<string, unknown>) => ({ openapi: '3.0.3', info: { title: 'T', version: '1' }, servers: [{ url: 'http://x.internal' }], paths, ...(ext !== undefined ? { 'x-switchyard': ext } : {}) });
  const problems = (doc: unknown) => importDocuments([doc]).problems.map((p) => `${p.path}: ${p.message}`);
  const ok = { responses: { '200': { description: 'ok' } } };

  it('an x-switchyard value the gateway schema refuses is reported at its pointer in the extension', () => {
    expect(problems(base({ '/users/{id}': { get: { ...ok, parameters: [{ name: 'id', in: 'path', required: true }], 'x-switchyard': { timeoutMs: -1, retry: { numRetries: 'x' } } } } }))).toEqual([
      '#/paths/~1users~1{id}/get/x-switchyard/timeoutMs: must be >= 0',
      '#/paths/~1users~1{id}/get/x-switchyard/retry/numRetries: must be a number',
    ]);
  });
  it('an inherited value is reported where it is written (the document)', () => {
    expect(problems(base({ '/a': { get: ok } }, { timeoutMS: 5 }))).toEqual(['#/x-switchyard/timeoutMS: unknown key "timeoutMS" (known keys: hostnames, backends, split, rollout, experiment, rewrite, redirect, limits, timeoutMs, perTryTimeoutMs, idleTimeoutMs, propagateDeadline, retry, hedge, mirror, fault, priority, policies, sessionPersistence)']);
  });
  it('a path key must begin with a slash; a server variable needs a default', () => {
    expect(problems(base({ users: { get: ok } }))).toEqual(['#/paths/users: a path must begin with a forward slash (OpenAPI Paths Object)']);
    expect(problems({ ...base({ '/a': { get: ok } }), servers: [{ url: 'http://{host}/', variables: { host: {} } }] })).toEqual(['#/servers/0/variables/host/default: server variable "host" has no default']);
  });
  it('x-switchyard.config upstreams are checked by the gateway schema', () => {
    expect(problems(base({ '/a': { get: ok } }, { config: { upstreams: { u: { endpoints: [], balancer: { policy: 'fastest' } } } } }))).toEqual([
      '#/x-switchyard/config/upstreams/u/balancer/policy: must be one of round-robin, weighted-round-robin, random, weighted-random, least-request, peak-ewma, client-side-weighted-round-robin, ring-hash, maglev',
    ]);
  });
  it('Swagger 2.0 is refused with a pointer to its version', () => {
    expect(problems({ swagger: '2.0', info: { title: 'Old', version: '1' }, paths: {} })).toEqual(['#/openapi: Swagger 2.0 is not imported: convert it to OpenAPI 3.x']);
  });
});

describe('OpenAPI schema validation with @readme/openapi-parser', () => {
  it('a valid document has no problem; the importer and the parser agree on petstore', async () => {
    const doc = parseYamlDocuments(PETSTORE, 'petstore.yaml').documents[0]?.value;
    expect(await validateOpenApi(doc, { file: 'petstore.yaml' })).toEqual([]);
  });
  it('schema errors and undeclared path parameters come from the parser, at #', async () => {
    const doc = { openapi: '3.1.0', info: { title: 'Bad', version: '1' }, servers: [{ url: 'http://x.internal' }], paths: { '/users/{id}': { get: { responses: { '200': { description: 'ok' } } } } } };
    const problems = await validateOpenApi(doc);
    expect(problems.map((p) => `${p.path}: ${p.message}`)).toEqual(['#: `/paths/users/{id}/get` is missing path parameter(s) for `{id}`.']);
    const all = await importDocumentsValidated([doc]);
    expect(all.problems).toHaveLength(1);
    expect(all.warnings.map((w) => w.message)).toEqual(['path parameter "id" is not declared in parameters (OpenAPI requires it)']);
  });
  it('does not modify the document it validates', async () => {
    const doc = { openapi: '3.0.3', info: { title: 'R', version: '1' }, paths: { '/a': { get: { responses: { '200': { $ref: '#/components/responses/Ok' } } } } }, components: { responses: { Ok: { description: 'ok' } } } };
    const copy = JSON.parse(JSON.stringify(doc)) as unknown;
    expect(await validateOpenApi(doc)).toEqual([]);
    expect(doc).toEqual(copy);
  });
});

describe('importing OpenAPI never throws', () => {
  it('on arbitrary documents with an openapi version and arbitrary paths / extensions', () => {
    const doc = fc.record({
      openapi: fc.constantFrom('3.0.3', '3.1.0', '2.0', 'x'),
      info: fc.anything(),
      servers: fc.oneof(fc.anything(), fc.array(fc.record({ url: fc.oneof(fc.webUrl(), fc.string()), variables: fc.anything() }))),
      paths: fc.dictionary(fc.oneof(fc.string(), fc.constantFrom('/a/{b}', '/x/{y}.{z}', '/{a}/{a}')), fc.dictionary(fc.constantFrom('get', 'post', 'x-switchyard', 'servers'), fc.anything())),
      'x-switchyard': fc.anything(),
    });
    fc.assert(
      fc.property(doc, (d) => {
        const r = importDocuments([d]);
        return Array.isArray(r.problems) && Array.isArray(r.config.routes);
      }),
      { numRuns: 300 },
    );
  });
  it('parseYamlDocuments on arbitrary text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        const r = parseYamlDocuments(text, 'f.yaml', { env: { A: 'x' } });
        return Array.isArray(r.documents) && Array.isArray(r.problems);
      }),
      { numRuns: 300 },
    );
  });
});
