// /schema: start the vendored Swagger UI (static/vendor/swagger-ui) on our OpenAPI document.
// No validator badge (it would send the schema to validator.swagger.io), nothing off-site.

const container = document.getElementById("swagger-container");
window.SwaggerUIBundle({
  url: container.dataset.spec,
  domNode: container,
  deepLinking: true,
  validatorUrl: null,
  presets: [window.SwaggerUIBundle.presets.apis],
  layout: "BaseLayout",
  tryItOutEnabled: false,
});
