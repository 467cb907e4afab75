// gl_program.cpp — compiling and linking compute programs with readable failures.
#include "core/gl_program.h"

#include <epoxy/gl.h>

#include "core/gl_context.h"

namespace bnlab {

std::string glsl_shared_defines() {
  std::string s;
#define BNLAB_X(name, value) s += "#define " #name " " + std::to_string(value) + "\n";
  BNLAB_GPU_CONSTANTS(BNLAB_X)
#undef BNLAB_X
  return s;
}

namespace {

std::string labels(const std::vector<std::pair<std::string, std::string>>& parts) {
  std::string s = " (source strings:";
  for (size_t i = 0; i < parts.size(); ++i)
    s += (i ? ", " : " ") + std::to_string(i) + " = " + parts[i].first;
  return s + ")";
}

std::string info_log(GLuint object, bool is_program) {
  GLint len = 0;
  is_program ? glGetProgramiv(object, GL_INFO_LOG_LENGTH, &len)
             : glGetShaderiv(object, GL_INFO_LOG_LENGTH, &len);
  std::string log(static_cast<size_t>(len > 0 ? len : 1), '\0');
  is_program ? glGetProgramInfoLog(object, len, nullptr, log.data())
             : glGetShaderInfoLog(object, len, nullptr, log.data());
  log.resize(log.find('\0') == std::string::npos ? log.size() : log.find('\0'));
  return log;
}

}  // namespace

GlProgram::GlProgram(const std::string& name,
                     const std::vector<std::pair<std::string, std::string>>& parts) {
  // Drivers number lines across the concatenation; #line restarts the count in every string and
  // names it, so the info log reads "<string>:<line>".
  std::vector<std::string> texts;
  for (size_t i = 0; i < parts.size(); ++i)
    texts.push_back((i ? "#line 1 " + std::to_string(i) + "\n" : std::string()) + parts[i].second);
  std::vector<const GLchar*> strings;
  std::vector<GLint> lengths;
  for (const auto& t : texts) {
    strings.push_back(t.data());
    lengths.push_back(static_cast<GLint>(t.size()));
  }
  const GLuint shader = glCreateShader(GL_COMPUTE_SHADER);
  glShaderSource(shader, static_cast<GLsizei>(strings.size()), strings.data(), lengths.data());
  glCompileShader(shader);
  GLint ok = 0;
  glGetShaderiv(shader, GL_COMPILE_STATUS, &ok);
  if (!ok) {
    const std::string log = info_log(shader, false);
    glDeleteShader(shader);
    throw GpuError("compute shader " + name + " does not compile" + labels(parts) + ":\n" + log);
  }
  id_ = glCreateProgram();
  glAttachShader(id_, shader);
  glLinkProgram(id_);
  glDeleteShader(shader);  // stays alive while attached
  glGetProgramiv(id_, GL_LINK_STATUS, &ok);
  if (!ok) {
    const std::string log = info_log(id_, true);
    glDeleteProgram(std::exchange(id_, 0));
    throw GpuError("compute program " + name + " does not link" + labels(parts) + ":\n" + log);
  }
}

GlProgram::~GlProgram() {
  if (id_) glDeleteProgram(id_);
}

GlProgram& GlProgram::operator=(GlProgram&& o) noexcept {
  if (this != &o) {
    if (id_) glDeleteProgram(id_);
    id_ = std::exchange(o.id_, 0);
  }
  return *this;
}

}  // namespace bnlab
