#include "microfer/detect/imglab.hpp"

#include <cctype>
#include <fstream>
#include <regex>
#include <sstream>

#include "microfer/capture/image_io.hpp"

namespace microfer {

namespace {

/// One <tag ...>inner</tag> or <tag .../> element: its attribute text and its content.
struct XmlElement {
  std::string attributes, inner;
};

/// Every `tag` element of `xml`, in order (see readImglab() for why not std::regex).
std::vector<XmlElement> xmlElements(const std::string& xml, const std::string& tag) {
  std::vector<XmlElement> out;
  const std::string open = "<" + tag, close = "</" + tag + ">";
  size_t at = xml.find(open);
  while (at != std::string::npos) {
    const size_t name = at + open.size();
    if (name >= xml.size() || !std::isspace(static_cast<unsigned char>(xml[name]))) {
      at = xml.find(open, name);  // a longer tag name (<images>)
      continue;
    }
    const size_t end = xml.find('>', name);
    if (end == std::string::npos) break;
    XmlElement e;
    const bool selfClosing = xml[end - 1] == '/';
    e.attributes = xml.substr(name, end - name - (selfClosing ? 1 : 0));
    at = end + 1;
    if (!selfClosing) {
      const size_t stop = xml.find(close, at);
      if (stop == std::string::npos) break;
      e.inner = xml.substr(at, stop - at);
      at = stop + close.size();
    }
    out.push_back(std::move(e));
    at = xml.find(open, at);
  }
  return out;
}

}  // namespace

std::vector<ImglabImage> readImglab(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw InputError("cannot read imglab file '" + path + "'");
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string xml = ss.str();

  const std::regex attrRe(R"((\w+)\s*=\s*'([^']*)')");
  auto attributes = [&](const std::string& s) {
    std::vector<std::pair<std::string, std::string>> out;
    for (std::sregex_iterator it(s.begin(), s.end(), attrRe), end; it != end; ++it)
      out.emplace_back((*it)[1], (*it)[2]);
    return out;
  };

  std::vector<ImglabImage> images;
  try {
    for (const XmlElement& image : xmlElements(xml, "image")) {
      ImglabImage img;
      for (const auto& [key, value] : attributes(image.attributes))
        if (key == "file") img.file = value;
      // <box .../> or <box ...> <part name='00' x='' y=''/> ... </box>
      for (const XmlElement& box : xmlElements(image.inner, "box")) {
        float top = 0, left = 0, width = 0, height = 0;
        bool ignore = false;
        for (const auto& [key, value] : attributes(box.attributes)) {
          if (key == "top") top = std::stof(value);
          if (key == "left") left = std::stof(value);
          if (key == "width") width = std::stof(value);
          if (key == "height") height = std::stof(value);
          if (key == "ignore") ignore = value == "1";
        }
        img.boxes.emplace_back(left, top, width, height);
        img.ignore.push_back(ignore);
        std::vector<cv::Point2f> parts;
        for (const XmlElement& part : xmlElements(box.inner, "part")) {
          int index = -1;
          cv::Point2f pt;
          for (const auto& [key, value] : attributes(part.attributes)) {
            if (key == "name") index = std::stoi(value);
            if (key == "x") pt.x = std::stof(value);
            if (key == "y") pt.y = std::stof(value);
          }
          if (index < 0 || index > 1000) continue;  // the iBUG scheme has 68
          if (parts.size() <= static_cast<size_t>(index)) parts.resize(index + 1);
          parts[index] = pt;
        }
        img.parts.push_back(parts);
      }
      images.push_back(img);
    }
  } catch (const std::logic_error&) {  // std::stof / std::stoi on a malformed number
    throw InputError("imglab file '" + path + "': malformed number in an attribute");
  }
  return images;
}

}  // namespace microfer
