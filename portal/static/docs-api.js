// Starts Swagger UI on the API reference page (/docs/api). A file of its own: the CSP forbids inline scripts.
"use strict";

window.addEventListener("DOMContentLoaded", () => {
  const root = document.getElementById("swagger-ui");
  if (!root || typeof window.SwaggerUIBundle !== "function") return;
  window.SwaggerUIBundle({
    url: root.dataset.openapiUrl,
    domNode: root,
    deepLinking: true,
    defaultModelsExpandDepth: 0,
    // Nothing phones home: the validator badge would send the document to a third-party service.
    validatorUrl: null,
  });
});
