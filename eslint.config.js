// @ts-check
import js from "@eslint/js"
import tseslint from "typescript-eslint"

const layerRule = (from, forbidden, message) => ({
  files: [`src/${from}/**/*.ts`],
  rules: {
    "no-restricted-imports": ["error", {
      patterns: forbidden.map((dir) => ({ group: [`**/${dir}/**`, `../${dir}/*`, `../../${dir}/*`], message }))
    }]
  }
})

export default tseslint.config(
  { ignores: ["node_modules/**", "dist/**", ".tau/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { projectService: false } },
    rules: {
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
      "@typescript-eslint/no-namespace": "off",
      "@typescript-eslint/no-empty-object-type": "off",
      "no-restricted-syntax": ["error", {
        selector: "MemberExpression[object.name='process'][property.name='env']",
        message: "Read configuration through effect/Config (src/layers/Config or the service's own config), not process.env."
      }]
    }
  },
  // domain/ imports only effect; events/ only domain; definition files never import services.
  layerRule("domain", ["events", "actors", "agent", "learning", "projections", "http", "cli", "layers"], "domain/ imports only effect."),
  layerRule("events", ["actors", "agent", "learning", "projections", "http", "cli", "layers"], "events/ depends only on domain/."),
  layerRule("learning", ["actors", "agent", "projections", "http", "cli", "layers"], "learning/ is pure: no services."),
  {
    files: ["test/**/*.ts", "bench/**/*.ts"],
    rules: { "no-restricted-syntax": "off" }
  }
)
